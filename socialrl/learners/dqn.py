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
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F

from socialrl.learners.base import (
    Checkpointing,
    rng_state_array,
    set_rng_state,
)
from socialrl.learners.batches import Transitions
from socialrl.learners.networks import (
    NetworkPopulation,
    adam,
    encoder_for,
    load_network_state,
    load_optimizer_state,
    make_network,
    network_state,
    optimizer_state,
    resolve_device,
    torch_seeds,
)
from socialrl.learners.replay import ReplayBuffer
from socialrl.learners.schedules import Linear, Schedule, as_schedule

__all__ = ["DQN", "DQNConfig", "dqn_targets"]

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
        best = next_q_target.max(dim=-1).values
    else:
        a_star = next_q_online.argmax(dim=-1, keepdim=True)
        best = next_q_target.gather(-1, a_star).squeeze(-1)
    return rewards + gamma * (1.0 - terminated.float()) * best


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
        self.optimizer = adam(list(self.q.parameters()), c.lr)
        self.buffer = ReplayBuffer(c.buffer_size, self.n_agents, observation_space)
        self._rng = np.random.default_rng(np_seed)
        self._everyone = np.ones(self.n_agents, dtype=bool)
        self._no_truncation = np.zeros(self.n_agents, dtype=bool)
        self.t = 0
        self._loss = float("nan")
        self._trained = False
        self._bound = True

    @property
    def epsilon(self) -> float:
        """ε at the current step."""
        return float(self.config.epsilon(self.t))

    def action_values(self, obs: np.ndarray) -> torch.Tensor:
        """``Q(s, ·)`` of each agent's own network, ``[n, A]`` (no gradient)."""
        self._check(obs)
        with torch.no_grad():
            return self.q.per_agent(self.encoder(obs))

    def act(self, obs: np.ndarray) -> np.ndarray:
        """ε-greedy actions; advances the schedule."""
        eps = self.epsilon
        self.t += 1
        n = self.n_agents
        explore = self._rng.random(n) < eps
        if explore.all():
            self._check(obs)
            return self._rng.integers(self.n_actions, size=n)
        actions = self.action_values(obs).argmax(dim=1).cpu().numpy()
        k = int(explore.sum())
        if k:
            actions[explore] = self._rng.integers(self.n_actions, size=k)
        return actions

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """argmax_a Q(s, a)."""
        return self.action_values(obs).argmax(dim=1).cpu().numpy()

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
        self.buffer.add(
            Transitions(
                obs,
                actions,
                reward,
                next_obs,
                terminated,
                self._no_truncation if truncated is None else truncated,
                self._everyone if mask is None else mask,
            )
        )
        c = self.config
        if self.t < c.learning_starts or self.t % c.train_every:
            return
        for _ in range(c.gradient_steps):
            self._gradient_step()
            if c.tau < 1.0:
                self._soft_update(c.tau)
        if c.tau == 1.0 and self.t % c.target_update_interval < c.train_every:
            self.q_target.load_state_dict(self.q.state_dict())

    def discount(self) -> float:
        """The discount factor γ this learner values the future with."""
        return float(self.config.gamma)

    def diagnostics(self) -> dict[str, float]:
        """ε, the last loss, and the transitions stored per agent."""
        out = {"epsilon": self.epsilon, "buffer": float(self.buffer.size)}
        if self._trained:  # no loss before the first gradient step
            out["loss"] = self._loss
        return out

    # ------------------------------------------------------------------ training
    def _gradient_step(self) -> None:
        """One step of gradient descent on the TD loss of a replayed minibatch."""
        c = self.config
        if c.shared:
            batch = self.buffer.sample_pooled(c.batch_size, self._rng)
        else:
            batch = self.buffer.sample_per_agent(c.batch_size, self._rng)
        obs = self._encode_batch(batch.obs)
        next_obs = self._encode_batch(batch.next_obs)
        actions = torch.as_tensor(batch.actions, device=self.device)
        rewards = torch.as_tensor(batch.reward, device=self.device)
        terminated = torch.as_tensor(batch.terminated, device=self.device)
        with torch.no_grad():
            next_target = self.q_target(next_obs)
            next_online = self.q(next_obs) if c.double else None
            target = dqn_targets(rewards, terminated, next_target, c.gamma, next_online)
        q_sa = self.q(obs).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        if c.loss == "huber":
            losses = F.smooth_l1_loss(q_sa, target, reduction="none")
        else:
            losses = F.mse_loss(q_sa, target, reduction="none")
        loss = losses.mean() if c.shared else _sum_of_agent_means(losses, batch.valid)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if c.max_grad_norm is not None:
            self.q.clip_grad_norm(c.max_grad_norm)
        self.optimizer.step()
        self._loss = float(loss.detach()) / (1 if c.shared else self.n_agents)
        self._trained = True

    def _encode_batch(self, obs: np.ndarray) -> torch.Tensor:
        """Encode ``[B, ...]`` or ``[n, B, ...]`` raw observations."""
        lead = obs.shape[:2] if not self.config.shared else obs.shape[:1]
        flat = obs.reshape(-1, *obs.shape[len(lead) :])
        encoded = self.encoder(flat)
        return encoded.reshape(*lead, *encoded.shape[1:])

    def _soft_update(self, tau: float) -> None:
        with torch.no_grad():
            for target, online in zip(self.q_target.parameters(), self.q.parameters(), strict=True):
                target.mul_(1.0 - tau).add_(online, alpha=tau)

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
        state.update(optimizer_state(self.optimizer))
        state.update(self.buffer.state_dict())
        state["t"] = np.array(self.t)
        state["rng"] = rng_state_array(self._rng)
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (the learner must be bound to the same shapes)."""
        load_network_state("q.", self.q, state)
        load_network_state("q_target.", self.q_target, state)
        load_optimizer_state(self.optimizer, state)
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


def _sum_of_agent_means(losses: torch.Tensor, valid: np.ndarray) -> torch.Tensor:
    """Σ over agents of each agent's mean loss over its valid samples, ``losses[n, B]``.

    Every independent agent's gradient is then the one it would get training alone; an agent
    without a valid sample (it has not been active yet) contributes nothing.
    """
    if valid.all():  # the common case: every agent has been active
        return losses.mean(dim=-1).sum()
    weights = torch.as_tensor(valid, dtype=losses.dtype, device=losses.device)
    return ((losses * weights).sum(dim=-1) / weights.sum(dim=-1).clamp(min=1.0)).sum()
