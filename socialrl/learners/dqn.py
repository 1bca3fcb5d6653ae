"""Deep Q-Networks (Mnih et al. 2015), for populations of agents.

The lecture's DQN: a network approximates ``Q(s, a; θ)`` and is trained on the loss

    L(θ) = E[(r + γ max_a' Q(s', a'; θ⁻) (1 − terminated) − Q(s, a; θ))²]

with the two tricks that make it stable: **experience replay** (minibatches drawn from a buffer
of past transitions, :mod:`socialrl.learners.replay`) and a **target network** ``θ⁻`` (copied
from ``θ`` every ``target_update_interval`` steps, or tracked softly with rate ``tau``).
Options: Double DQN (van Hasselt et al. 2016: the online network picks ``a'``, the target
network values it), Huber or squared loss, gradient clipping, ε schedules, an MLP or — for grid
observations — a CNN.

A group of agents shares one network (one forward pass for all of them; a minibatch is drawn
from everyone's experience) or holds one network per agent, evaluated and trained together
with ``torch.func.vmap`` (each agent learns from its own experience only). Either way an agent
learns only from steps in which it was active (``mask``): the buffer draws only valid steps,
and an independent agent with none yet stored makes no gradient step.

The gradient step is written for small networks, where framework overhead, not arithmetic,
sets the pace: the parameters of all networks live in one flat buffer
(:mod:`~socialrl.learners.flat_parameters`), an MLP's gradient is written out by the chain rule
(:mod:`~socialrl.learners.dense_backprop`: ``∂L/∂Q`` of the loss below, then a few matrix
products; independent networks' minibatches of ``Discrete`` states pick rows of the first
weight instead of multiplying it by one-hot vectors), and clipping and Adam are one fused
update of that buffer (:mod:`~socialrl.learners.fast_adam`). A CNN takes the same loss and
optimizer through autograd. Either way the mathematics are those of ``loss.backward()``,
``clip_grad_norm_`` and ``torch.optim.Adam``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from socialrl.learners.base import (
    Checkpointing,
    rng_state_array,
    set_rng_state,
)
from socialrl.learners.batches import Transitions
from socialrl.learners.dense_backprop import Dense, backward, forward
from socialrl.learners.fast_adam import AdamSettings, FastAdam
from socialrl.learners.flat_parameters import FlatParameters
from socialrl.learners.networks import (
    NetworkPopulation,
    encoder_for,
    load_network_state,
    make_network,
    network_state,
    resolve_device,
    torch_seeds,
)
from socialrl.learners.replay import ReplayBuffer
from socialrl.learners.schedules import Linear, Schedule, as_schedule

__all__ = ["DQN", "DQNConfig", "dqn_targets", "td_loss", "td_loss_gradient"]

#: ε falls linearly from 1 to 0.05 over the first 10,000 steps (Stable-Baselines3's spirit).
_DEFAULT_EPSILON = Linear(start=1.0, end=0.05, steps=10_000)


@dataclass(frozen=True)
class DQNConfig:
    """Hyperparameters of DQN (defaults in the spirit of Stable-Baselines3's).

    Attributes:
        lr: Adam learning rate.
        gamma: Discount factor γ ∈ [0, 1].
        epsilon: Exploration: a number, a schedule, or a table such as
            ``{"kind": "linear", "start": 1.0, "end": 0.05, "steps": 10_000}``.
        buffer_size: Steps of experience kept per agent.
        batch_size: Transitions per gradient step (per agent for independent networks).
        learning_starts: Steps before the first gradient step.
        train_every: Steps between gradient steps.
        gradient_steps: Gradient steps each time.
        target_update_interval: Steps between hard target updates (with ``tau = 1``).
        tau: Soft target update rate θ⁻ ← τθ + (1 − τ)θ⁻ after each gradient step (< 1), or 1
            for hard updates.
        double: Double DQN targets.
        loss: ``"huber"`` (smooth L1, as in the Nature DQN) or ``"mse"`` (the lecture's).
        max_grad_norm: Gradient clipping by norm (None: off).
        hidden: Hidden layer widths of the MLP (or of the CNN's head).
        network: ``"auto"`` (CNN for grids, else MLP), ``"mlp"`` or ``"cnn"``.
        shared: One network for the group, or one per agent.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.

    """

    lr: float = 1e-3
    gamma: float = 0.99
    epsilon: Schedule = _DEFAULT_EPSILON
    buffer_size: int = 50_000
    batch_size: int = 32
    learning_starts: int = 1_000
    train_every: int = 4
    gradient_steps: int = 1
    target_update_interval: int = 1_000
    tau: float = 1.0
    double: bool = False
    loss: str = "huber"
    max_grad_norm: float | None = 10.0
    hidden: tuple[int, ...] = (64, 64)
    network: str = "auto"
    shared: bool = True
    device: str = "cpu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "epsilon", as_schedule(self.epsilon))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        checks = {  # name: (value, whether it is in range)
            "lr": (self.lr, self.lr > 0),
            "gamma": (self.gamma, 0.0 <= self.gamma <= 1.0),
            "buffer_size": (self.buffer_size, self.buffer_size >= 1),
            "batch_size": (self.batch_size, self.batch_size >= 1),
            "learning_starts": (self.learning_starts, self.learning_starts >= 0),
            "train_every": (self.train_every, self.train_every >= 1),
            "gradient_steps": (self.gradient_steps, self.gradient_steps >= 0),
            "target_update_interval": (
                self.target_update_interval,
                self.target_update_interval >= 1,
            ),
            "tau": (self.tau, 0.0 < self.tau <= 1.0),
            "max_grad_norm": (
                self.max_grad_norm,
                self.max_grad_norm is None or self.max_grad_norm > 0,
            ),
        }
        for name, (value, ok) in checks.items():
            if not ok:
                raise ValueError(f"DQN {name} is out of range: {value!r}")
        if self.loss not in ("huber", "mse"):
            raise ValueError(f"DQN loss must be 'huber' or 'mse', got {self.loss!r}")


def dqn_targets(
    rewards: torch.Tensor,
    terminated: torch.Tensor,
    next_q_target: torch.Tensor,
    gamma: float,
    next_q_online: torch.Tensor | None = None,
) -> torch.Tensor:
    """The TD target ``r + γ Q⁻(s', a*) (1 − terminated)``.

    DQN takes ``a* = argmax_a Q⁻(s', a)``; Double DQN (pass ``next_q_online``) takes
    ``a* = argmax_a Q(s', a)`` from the online network and values it with the target network.

    Args:
        rewards: ``[..., ]`` rewards.
        terminated: ``[...]`` booleans: no bootstrap after a terminal state.
        next_q_target: ``[..., A]`` target-network values of ``s'``.
        gamma: Discount factor.
        next_q_online: ``[..., A]`` online-network values of ``s'`` (Double DQN), or None.

    """
    if next_q_online is None:
        best = next_q_target.amax(dim=-1)
    else:
        a_star = next_q_online.argmax(dim=-1, keepdim=True)
        best = next_q_target.gather(-1, a_star).squeeze(-1)
    return torch.addcmul(rewards, terminated.logical_not(), best, value=gamma)


def td_loss(errors: torch.Tensor, weights: float | torch.Tensor, loss: str) -> torch.Tensor:
    """``L = Σ w ℓ(δ)`` over TD errors ``δ = Q(s, a) − y``.

    ``ℓ`` is Huber's (smooth L1: ``δ²/2`` for ``|δ| < 1``, else ``|δ| − 1/2``) or the square
    ``δ²``; the weights ``w`` make ``L`` a minibatch mean (``w = 1/B``) or a sum of each agent's
    mean over its valid samples.
    """
    if loss == "huber":
        size = errors.abs()
        per_sample = torch.where(size < 1.0, 0.5 * errors * errors, size - 0.5)
    else:
        per_sample = errors * errors
    return (per_sample * weights).sum()


def td_loss_gradient(
    errors: torch.Tensor, weights: float | torch.Tensor, loss: str
) -> torch.Tensor:
    """``∂L/∂Q(s, a) = w ℓ'(δ)`` of :func:`td_loss`: ``w clip(δ, −1, 1)`` (Huber), ``2 w δ``."""
    if loss == "huber":
        return errors.clamp(-1.0, 1.0).mul_(weights)
    return errors.mul(2.0).mul_(weights)


class DQN(Checkpointing):
    """A population of DQN learners (see the module docstring).

    The keyword arguments are the fields of :class:`DQNConfig` (documented there), kept in
    ``learner.config``.
    """

    name = "dqn"
    learns = True

    def __init__(
        self,
        lr: float = 1e-3,
        gamma: float = 0.99,
        epsilon: float | Schedule | Mapping[str, Any] = _DEFAULT_EPSILON,
        buffer_size: int = 50_000,
        batch_size: int = 32,
        learning_starts: int = 1_000,
        train_every: int = 4,
        gradient_steps: int = 1,
        target_update_interval: int = 1_000,
        tau: float = 1.0,
        double: bool = False,
        loss: str = "huber",
        max_grad_norm: float | None = 10.0,
        hidden: Sequence[int] = (64, 64),
        network: str = "auto",
        shared: bool = True,
        device: str = "cpu",
    ) -> None:
        self.config = DQNConfig(
            lr=lr,
            gamma=gamma,
            epsilon=epsilon,  # type: ignore[arg-type]
            buffer_size=buffer_size,
            batch_size=batch_size,
            learning_starts=learning_starts,
            train_every=train_every,
            gradient_steps=gradient_steps,
            target_update_interval=target_update_interval,
            tau=tau,
            double=double,
            loss=loss,
            max_grad_norm=max_grad_norm,
            hidden=hidden,  # type: ignore[arg-type]
            network=network,
            shared=shared,
            device=device,
        )
        self.t = 0
        self._bound = False

    # ------------------------------------------------------------------ protocol
    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Build networks, target networks, optimizer and replay buffer for the group."""
        c = self.config
        self.n_agents, self.n_actions = int(n_agents), int(action_space.n)
        self.device = resolve_device(c.device)
        self.encoder = encoder_for(observation_space, self.device)
        net_seed, np_seed = seed.spawn(2)
        self.q = NetworkPopulation(
            lambda: make_network(self.encoder, self.n_actions, c.hidden, c.network),
            self.n_agents,
            c.shared,
            torch_seeds(net_seed, 1)[0],
            self.device,
        )
        self.q_target = copy.deepcopy(self.q)
        self.q_target.requires_grad_(False)
        rows = self.q.n_networks
        self._online = FlatParameters(self.q.parameters(), rows)
        self._target = FlatParameters(self.q_target.parameters(), rows, grads=False)
        self.optimizer = FastAdam(
            self._online, AdamSettings(lr=c.lr, max_grad_norm=c.max_grad_norm)
        )
        # Plain MLPs train by the written-out chain rule; None (a CNN): through autograd.
        self._layers = self.q.dense_layers(self._online)
        self._target_layers = self.q_target.dense_layers(self._target)
        self._indexed = self._layers is not None and self.encoder.indexed and rows > 1
        self.buffer = ReplayBuffer(c.buffer_size, self.n_agents, observation_space)
        self._obs_shape = tuple(observation_space.shape or ())
        self._rng = np.random.default_rng(np_seed)
        self._everyone = np.ones(self.n_agents, dtype=bool)
        self._no_truncation = np.zeros(self.n_agents, dtype=bool)
        self.t = 0
        self._errors: tuple[torch.Tensor, float | torch.Tensor] | None = None
        self._trained = False
        self._bound = True

    @property
    def epsilon(self) -> float:
        """ε at the current step."""
        return float(self.config.epsilon(self.t))

    def action_values(self, obs: np.ndarray) -> torch.Tensor:
        """``Q(s, ·)`` of each agent's own network, ``[n, A]`` (no gradient)."""
        self._check(obs)
        x = self.encoder(obs)
        if self._layers is None:
            with torch.no_grad():
                return self.q.per_agent(x)
        if self.config.shared:  # one network: rows [n, features] in, [n, A] out
            return forward(self._layers, x if x.dim() == 2 else x.flatten(1))[-1]
        n = self.n_agents
        return forward(self._layers, x.reshape(n, 1, -1))[-1].reshape(n, self.n_actions)

    def act(self, obs: np.ndarray) -> np.ndarray:
        """ε-greedy actions; advances the schedule."""
        eps = self.epsilon
        self.t += 1
        n = self.n_agents
        explore = self._rng.random(n) < eps
        k = np.count_nonzero(explore)
        if k == n:
            self._check(obs)
            return self._rng.integers(self.n_actions, size=n)
        actions = self.action_values(obs).argmax(dim=1).numpy(force=True)
        if k:
            actions[explore] = self._rng.integers(self.n_actions, size=k)
        return actions

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """argmax_a Q(s, a)."""
        return self.action_values(obs).argmax(dim=1).numpy(force=True)

    def learn(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray | None = None,
        mask: np.ndarray | None = None,
    ) -> None:
        """Store the step; every ``train_every`` steps, gradient steps and target updates."""
        self._check(obs)
        truncated = self._no_truncation if truncated is None else truncated
        valid = self._everyone if mask is None else mask
        self.buffer.add(Transitions(obs, actions, reward, next_obs, terminated, truncated, valid))
        c = self.config
        if self.t < c.learning_starts or self.t % c.train_every:
            return
        for _ in range(c.gradient_steps):
            self._gradient_step()
            if c.tau < 1.0:
                self._soft_update(c.tau)
        if c.tau == 1.0 and self.t % c.target_update_interval < c.train_every:
            self._target.values.copy_(self._online.values)

    def discount(self) -> float:
        """The discount factor γ this learner values the future with."""
        return float(self.config.gamma)

    def diagnostics(self) -> dict[str, float]:
        """ε, the last loss, and the transitions stored per agent."""
        out = {"epsilon": self.epsilon, "buffer": float(self.buffer.size)}
        if self._trained:  # no loss before the first gradient step
            out["loss"] = self._last_loss()
        return out

    def _last_loss(self) -> float:
        """The loss of the last gradient step, per network (computed when asked for)."""
        if self._errors is None:
            return float("nan")
        errors, weights = self._errors
        return float(td_loss(errors, weights, self.config.loss)) / self.q.n_networks

    # ------------------------------------------------------------------ training
    def _gradient_step(self) -> None:
        """One step of gradient descent on the TD loss of a replayed minibatch.

        Everything carries a leading network dimension ``g`` (1 shared, ``n`` independent):
        targets ``y``, errors ``δ = Q(s, a) − y`` ``[g, B]``, then ``∂L/∂θ`` (written out
        for an MLP, by autograd for a CNN), then clipping and Adam on the flat buffer.
        """
        c = self.config
        if c.shared:
            batch = self.buffer.sample_pooled(c.batch_size, self._rng)
        else:
            batch = self.buffer.sample_per_agent(c.batch_size, self._rng)
        g, b = self.q.n_networks, c.batch_size
        obs, next_obs = self._encode(np.stack((batch.obs, batch.next_obs)))

        def rows(a: np.ndarray, *shape: int) -> torch.Tensor:
            return torch.as_tensor(a.reshape(g, b, *shape), device=self.device)

        actions = rows(batch.actions, 1)
        next_online = self._values(self._layers, self.q, next_obs) if c.double else None
        next_target = self._values(self._target_layers, self.q_target, next_obs)
        target = dqn_targets(
            rows(batch.reward), rows(batch.terminated), next_target, c.gamma, next_online
        )
        weights = _sample_weights(batch.valid, c.shared, self.device)
        if self._layers is not None:
            acts = forward(self._layers, obs)
            errors = acts[-1].gather(-1, actions).squeeze(-1).sub_(target)
            d_q = torch.zeros_like(acts[-1])
            d_q.scatter_(-1, actions, td_loss_gradient(errors, weights, c.loss).unsqueeze(-1))
            backward(self._layers, acts, d_q)
        else:
            q = self.q(obs.reshape(-1, *obs.shape[2:]) if c.shared else obs)
            q_sa = q.reshape(g, b, -1).gather(-1, actions).squeeze(-1)
            errors = q_sa - target
            td_loss(errors, weights, c.loss).backward()
            self._online.collect_grads()
            errors = errors.detach()
        self.optimizer.step()
        self._errors = (errors, weights)
        self._trained = True

    def _values(
        self, layers: list[Dense] | None, net: NetworkPopulation, obs: torch.Tensor
    ) -> torch.Tensor:
        """``Q(s, ·)`` ``[g, B, A]`` of encoded minibatch observations (no gradient)."""
        if layers is not None:
            return forward(layers, obs)[-1]  # plain tensors: no autograd
        g, b = self.q.n_networks, self.config.batch_size
        with torch.no_grad():
            return net(obs.reshape(-1, *obs.shape[2:]) if self.config.shared else obs).reshape(
                g, b, -1
            )

    def _encode(self, obs: np.ndarray) -> torch.Tensor:
        """Encode the raw observations and next observations ``[2, (n,) B, *obs_shape]``.

        As :meth:`_inputs` ``[2, g, B(, features)]`` for an MLP, kept whole (``[2, g, B, C,
        H, W]``) for a CNN.
        """
        g, b = self.q.n_networks, self.config.batch_size
        if self._layers is not None:
            return self._inputs(obs.reshape(-1, *self._obs_shape), 2, g, b)
        encoded = self.encoder(obs.reshape(-1, *self._obs_shape))
        return encoded.reshape(2, g, b, *encoded.shape[1:])

    def _inputs(self, obs: np.ndarray, *shape: int) -> torch.Tensor:
        """An MLP's minibatch inputs ``[*shape, features]``, or its ``Discrete`` states.

        States ``[*shape]`` for independent networks: the first layer picks rows of its weight
        (:func:`~.dense_backprop.lookup`), ≈ 150 µs less per step of 64 networks; for one
        network, or in acting, the one-hot product is faster (one operation against two).
        """
        if self._indexed:
            return self.encoder.index(obs).reshape(shape)
        return self.encoder(obs).reshape(*shape, -1)

    def _soft_update(self, tau: float) -> None:
        """θ⁻ ← τθ + (1 − τ)θ⁻."""
        self._target.values.lerp_(self._online.values, tau)

    def _check(self, obs: np.ndarray) -> None:
        if not self._bound:
            raise RuntimeError("DQN must be bound to a group (bind) before it acts")
        if np.shape(obs)[:1] != (self.n_agents,):
            raise ValueError(
                f"DQN bound to {self.n_agents} agents got observations of shape {np.shape(obs)}"
            )

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, np.ndarray]:
        """Networks, target networks, optimizer moments, replay buffer, step, generator."""
        state = network_state("q.", self.q)
        state.update(network_state("q_target.", self.q_target))
        state.update(self.optimizer.state_dict())
        state.update(self.buffer.state_dict())
        state["t"] = np.array(self.t)
        state["rng"] = rng_state_array(self._rng)
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (the learner must be bound to the same shapes)."""
        load_network_state("q.", self.q, state)
        load_network_state("q_target.", self.q_target, state)
        self.optimizer.load_state_dict(state)
        self.buffer.load_state_dict(dict(state))
        self.t = int(state["t"])
        self._trained = any(key.startswith("optim.") for key in state)
        set_rng_state(self._rng, state["rng"])

    def __repr__(self) -> str:
        c = self.config
        return (
            f"DQN(lr={c.lr}, gamma={c.gamma}, double={c.double}, shared={c.shared}, "
            f"hidden={c.hidden})"
        )


def _sample_weights(valid: np.ndarray, shared: bool, device: torch.device) -> float | torch.Tensor:
    """The weights ``w`` of :func:`td_loss` for a minibatch with validity ``valid``.

    A shared network takes the minibatch mean (``1/B``; a pooled minibatch is all valid).
    Independent networks take the sum over agents of each agent's mean over its valid
    samples: every agent's gradient is then the one it would get training alone, and an agent
    without a valid sample (not active yet) contributes nothing.
    """
    if shared or valid.all():  # the common case: every agent has been active
        return 1.0 / valid.shape[-1]
    counts = np.maximum(valid.sum(axis=-1, keepdims=True), 1)
    return torch.as_tensor(valid / counts, dtype=torch.float32, device=device)
