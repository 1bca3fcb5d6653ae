"""What REINFORCE and actor-critic share: a softmax policy network for a group, and its upkeep.

Both learners (:mod:`socialrl.learners.reinforce`, :mod:`socialrl.learners.actor_critic`)
learn a softmax policy ``π_θ(a | s)`` directly, instead of action values, and most of their
code is the same: building the policy (and value) networks of a group, sampling actions with
the learner's own generator, one optimizer step with per-network gradient clipping, the
combined loss ``policy_loss − c_H entropy + c_V value_loss``, episode-return diagnostics and
exact checkpoints. :class:`SoftmaxPolicyLearner` holds it once; a subclass builds its networks,
keeps its own experience store and says when to update.

A group shares one network (``shared=True``: one forward pass for the group, experience
pooled) or holds one network each (stacked and evaluated together, see
:mod:`socialrl.learners.networks`). Networks are initialised from the bound seed (the global
torch generator is left untouched), and actions are sampled with the learner's own
``torch.Generator``, whose state is part of the checkpoint.
"""

from __future__ import annotations

import abc
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from socialrl.learners.base import Checkpointing
from socialrl.learners.batches import Transitions
from socialrl.learners.networks import (
    OPTIMIZERS,
    Encoder,
    NetworkPopulation,
    encoder_for,
    load_network_state,
    load_optimizer_state,
    make_network,
    make_optimizer,
    network_state,
    optimizer_state,
    resolve_device,
    torch_seeds,
)
from socialrl.learners.policy_loss import policy_gradient_loss, row_means, standardize_rows

__all__ = [
    "RECENT_EPISODES",
    "PolicyGradientConfig",
    "SoftmaxPolicyLearner",
    "check_positive_count",
]

#: Finished episodes whose undiscounted returns make the ``mean_return`` diagnostic.
RECENT_EPISODES = 100

_DEVICE = re.compile(r"^(cpu|auto|cuda(:\d+)?)$")

#: Builds a population of networks with ``out_dim`` outputs from an initialisation seed.
PopulationBuilder = Callable[[int, int], NetworkPopulation]


@dataclass(frozen=True)
class PolicyGradientConfig:
    """The hyperparameters REINFORCE and actor-critic share (their configs add their own).

    Attributes:
        lr: Learning rate α of the optimizer (> 0).
        gamma: Discount factor γ ∈ [0, 1].
        value_coef: Weight of the value network's squared error (baseline or critic) in the
            loss.
        entropy_coef: Weight of the entropy bonus (keeps the policy from collapsing early).
        max_grad_norm: Clip each network's gradient to this norm (per agent for independent
            networks); None: no clipping.
        hidden: Hidden layer widths; ``()`` gives a linear softmax policy.
        network: ``"auto"`` (MLP for vectors, CNN for grids), ``"mlp"`` or ``"cnn"``.
        optimizer: ``"adam"`` or ``"rmsprop"`` (see
            :func:`~socialrl.learners.networks.make_optimizer`).
        shared: One network for the whole group (parameter sharing) or one per agent.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.

    """

    lr: float = 1e-3
    gamma: float = 0.99
    value_coef: float = 0.5
    entropy_coef: float = 0.0
    max_grad_norm: float | None = None
    hidden: tuple[int, ...] = (64, 64)
    network: str = "auto"
    optimizer: str = "adam"
    shared: bool = True
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not self.lr > 0.0:
            raise ValueError(f"lr (learning rate) must be positive, got {self.lr!r}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma (discount factor) must lie in [0, 1], got {self.gamma!r}")
        if not self.value_coef >= 0.0:
            raise ValueError(f"value_coef must be non-negative, got {self.value_coef!r}")
        if not self.entropy_coef >= 0.0:
            raise ValueError(f"entropy_coef must be non-negative, got {self.entropy_coef!r}")
        norm = self.max_grad_norm
        if norm is not None and not norm > 0.0:
            raise ValueError(f"max_grad_norm must be positive or None, got {norm!r}")
        object.__setattr__(self, "hidden", _layer_widths(self.hidden))
        if self.network not in ("auto", "mlp", "cnn"):
            raise ValueError(f"network must be 'auto', 'mlp' or 'cnn', got {self.network!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}")
        if not isinstance(self.device, str) or not _DEVICE.match(self.device):
            raise ValueError(
                f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {self.device!r}"
            )


def _layer_widths(hidden: Any) -> tuple[int, ...]:
    """``hidden`` as a tuple of positive ints (a TOML list arrives as a list)."""
    if isinstance(hidden, int | str):
        raise ValueError(f"hidden must be a list of layer widths such as [64, 64], got {hidden!r}")
    widths = tuple(hidden)
    if any(int(h) != h or h < 1 for h in widths):
        raise ValueError(f"hidden layer widths must be positive integers, got {hidden!r}")
    return tuple(int(h) for h in widths)


def check_positive_count(name: str, value: Any, allow_none: bool = False) -> None:
    """Refuse anything but a positive integer (or None where allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _run(net: NetworkPopulation, x: torch.Tensor, per_agent: bool) -> torch.Tensor:
    """Evaluate a population: ``x[n, ...]`` (one input per agent) or rows ``x[g, W, ...]``."""
    if per_agent:
        return net.per_agent(x)
    if net.shared:
        g, w = x.shape[:2]
        return net(x.reshape(g * w, *x.shape[2:])).reshape(g, w, -1)
    return net(x)


# ---------------------------------------------------------------------------- the base
class SoftmaxPolicyLearner(Checkpointing, abc.ABC):
    """Networks, acting, the loss, the optimizer step and checkpoints of a softmax policy.

    Subclasses build their networks (:meth:`_build`: ``"policy"`` and optionally ``"value"``,
    or one two-headed ``"actor_critic"``), keep their own experience store
    (:meth:`_reset_buffers`, :meth:`_buffer_state`, :meth:`_load_buffers`) and define ``learn``.
    """

    learns = True
    config: PolicyGradientConfig

    def __init__(self) -> None:
        self.n_agents = 0
        self.n_actions = 0
        self.device = torch.device("cpu")
        self.encoder: Encoder | None = None
        self.nets: dict[str, NetworkPopulation] = {}
        self.optimizer: torch.optim.Optimizer | None = None
        self.sampler = torch.Generator()
        self.updates = 0
        self._obs_shape: tuple[int, ...] = ()
        self._obs_dtype: np.dtype[Any] = np.dtype(np.int64)
        self._everyone = np.ones(0, dtype=bool)
        self._ep_return = np.zeros(0)
        self._recent = np.full(RECENT_EPISODES, np.nan)
        self._recent_count = 0
        self._stats: dict[str, float] = {}

    # ------------------------------------------------------------------ binding
    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Build fresh networks, optimizer and buffers for ``n_agents`` agents."""
        if not isinstance(action_space, gym.spaces.Discrete):
            raise TypeError(f"{type(self).__name__} needs Discrete actions, got {action_space}")
        if int(n_agents) != n_agents or n_agents < 1:
            raise ValueError(f"n_agents must be a positive integer, got {n_agents!r}")
        cfg = self.config
        self.n_agents, self.n_actions = int(n_agents), int(action_space.n)
        self.device = resolve_device(cfg.device)
        encoder = encoder_for(observation_space, self.device)
        self.encoder = encoder
        self._obs_shape = tuple(observation_space.shape or ())
        discrete = isinstance(observation_space, gym.spaces.Discrete | gym.spaces.MultiDiscrete)
        self._obs_dtype = np.dtype(np.int64) if discrete else np.dtype(np.float32)
        init_seeds = torch_seeds(seed, 3)

        def population(out_dim: int, init_seed: int) -> NetworkPopulation:
            def build() -> nn.Module:
                return make_network(encoder, out_dim, cfg.hidden, cfg.network)

            return NetworkPopulation(build, self.n_agents, cfg.shared, init_seed, self.device)

        self.nets = self._build(population, init_seeds[:2])
        params = [p for net in self.nets.values() for p in net.parameters()]
        self.optimizer = make_optimizer(cfg.optimizer, params, cfg.lr)
        self.sampler = torch.Generator(device=self.device)
        self.sampler.manual_seed(init_seeds[2])
        self.updates = 0
        self._everyone = np.ones(self.n_agents, dtype=bool)
        self._ep_return = np.zeros(self.n_agents)
        self._recent = np.full(RECENT_EPISODES, np.nan)
        self._recent_count = 0
        self._stats = {}
        self._reset_buffers()

    @abc.abstractmethod
    def _build(
        self, population: PopulationBuilder, seeds: Sequence[int]
    ) -> dict[str, NetworkPopulation]:
        """The learner's networks, each built by ``population(out_dim, seed)``."""

    @abc.abstractmethod
    def _reset_buffers(self) -> None:
        """Empty experience stores sized for the bound group."""

    @abc.abstractmethod
    def _buffer_state(self) -> dict[str, np.ndarray]:
        """The experience stores, for the checkpoint."""

    @abc.abstractmethod
    def _load_buffers(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`_buffer_state`."""

    # ------------------------------------------------------------------ networks
    def _heads(self, x: torch.Tensor, per_agent: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Policy logits and state values (None without a value network) of encoded inputs.

        ``per_agent``: ``x[n, ...]``, one input per agent; else rows ``x[g, W, ...]``.
        """
        a = self.n_actions
        if "actor_critic" in self.nets:
            out = _run(self.nets["actor_critic"], x, per_agent)
            return out[..., :a], out[..., a]
        return self._logits(x, per_agent), self._values(x, per_agent)

    def _logits(self, x: torch.Tensor, per_agent: bool) -> torch.Tensor:
        """Policy logits only (no critic forward pass where the networks are separate)."""
        if "actor_critic" in self.nets:
            return _run(self.nets["actor_critic"], x, per_agent)[..., : self.n_actions]
        return _run(self.nets["policy"], x, per_agent)

    def _values(self, x: torch.Tensor, per_agent: bool) -> torch.Tensor | None:
        """State values only (None without a value network)."""
        if "actor_critic" in self.nets:
            return _run(self.nets["actor_critic"], x, per_agent)[..., self.n_actions]
        if "value" not in self.nets:
            return None
        return _run(self.nets["value"], x, per_agent)[..., 0]

    def _encode(self, obs: np.ndarray) -> torch.Tensor:
        assert self.encoder is not None
        return self.encoder(obs)

    # ------------------------------------------------------------------ acting
    def act(self, obs: np.ndarray) -> np.ndarray:
        """Actions sampled from ``π(· | s)`` with the learner's own generator."""
        with torch.no_grad():
            logits = self._logits(self._encode(self._check_obs(obs)), True)
            cdf = torch.softmax(logits, dim=-1).cumsum(dim=-1)
            u = torch.rand(
                (self.n_agents, 1), generator=self.sampler, device=self.device, dtype=cdf.dtype
            )
            actions = (cdf < u).sum(dim=-1).clamp(max=self.n_actions - 1)  # inverse CDF
        return actions.cpu().numpy().astype(np.int64)

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The most probable action per agent (ties → lowest action; no state change)."""
        with torch.no_grad():
            logits = self._logits(self._encode(self._check_obs(obs)), True)
        return logits.argmax(dim=-1).cpu().numpy().astype(np.int64)

    def probabilities(self, obs: np.ndarray) -> np.ndarray:
        """``π(a | s)`` for every agent and action, ``float64[n, A]``."""
        with torch.no_grad():
            logits = self._logits(self._encode(self._check_obs(obs)), True)
            return torch.softmax(logits.double(), -1).cpu().numpy()

    def values(self, obs: np.ndarray) -> np.ndarray:
        """The learned state values ``V(s)`` (baseline or critic) per agent, ``float64[n]``."""
        with torch.no_grad():
            value = self._values(self._encode(self._check_obs(obs)), True)
        if value is None:
            raise ValueError(f"{self!r} learns no state values (set baseline=True)")
        return value.double().cpu().numpy()

    # ------------------------------------------------------------------ learning
    def _count_episodes(self, step: Transitions) -> None:
        """Accumulate undiscounted returns; file those of finished episodes (diagnostics)."""
        self._ep_return += np.where(step.valid, step.reward, 0.0)
        ended = step.valid & (step.terminated | step.truncated)
        if ended.any():
            done = self._ep_return[ended]
            slots = (self._recent_count + np.arange(done.size)) % RECENT_EPISODES
            self._recent[slots[-RECENT_EPISODES:]] = done[-RECENT_EPISODES:]
            self._recent_count += done.size
            self._ep_return[ended] = 0.0

    def _step(self, loss: torch.Tensor) -> None:
        """One optimizer step on ``loss``, with per-network gradient clipping."""
        assert self.optimizer is not None
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.max_grad_norm is not None:
            for net in self.nets.values():
                net.clip_grad_norm(self.config.max_grad_norm)
        self.optimizer.step()
        self.updates += 1

    def _loss(
        self,
        logits: torch.Tensor,
        values: torch.Tensor | None,
        actions: torch.Tensor,
        weights: torch.Tensor,
        targets: torch.Tensor,
        valid: torch.Tensor,
        normalize: bool,
    ) -> torch.Tensor:
        """``policy_loss − c_H entropy + c_V value_loss``; records the pieces as diagnostics."""
        cfg = self.config
        if normalize:
            weights = standardize_rows(weights, valid)
        policy_loss, entropy = policy_gradient_loss(logits, actions, weights, valid)
        loss = policy_loss - cfg.entropy_coef * entropy
        rows = float(logits.shape[0])
        stats = {"policy_loss": policy_loss.item() / rows, "entropy": entropy.item() / rows}
        if values is not None:
            value_loss = row_means((targets - values) ** 2, valid)
            loss = loss + cfg.value_coef * value_loss
            stats["value_loss"] = value_loss.item() / rows
        stats["loss"] = loss.item() / rows
        self._stats = stats
        return loss

    # ------------------------------------------------------------------ diagnostics
    def discount(self) -> float:
        """The discount factor γ this learner values the future with."""
        return float(self.config.gamma)

    def diagnostics(self) -> dict[str, float]:
        """Updates so far, mean return of the last 100 episodes, and the last update's losses.

        The loss entries (``loss``, ``policy_loss``, ``value_loss``, ``entropy``) appear after
        the first update (an update-less learner has no loss, and NaN would read as
        divergence).
        """
        seen = min(self._recent_count, RECENT_EPISODES)
        return {
            "updates": float(self.updates),
            "mean_return": float(self._recent[:seen].mean()) if seen else float("nan"),
            **self._stats,
        }

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, np.ndarray]:
        """Networks, optimizer moments, sampler state and trajectory buffers, as numpy arrays.

        Continuing from it is exact: the same actions and the same updates follow.
        """
        state: dict[str, np.ndarray] = {}
        for name, net in self.nets.items():
            state.update(network_state(f"net.{name}.", net))
        if self.optimizer is not None:
            state.update(optimizer_state(self.optimizer))
        state["sampler"] = self.sampler.get_state().numpy().copy()
        state["updates"] = np.array(self.updates)
        state["ep_return"] = self._ep_return.copy()
        state["recent"] = self._recent.copy()
        state["recent_count"] = np.array(self._recent_count)
        state.update(self._buffer_state())
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a :meth:`state_dict`; the learner must be bound to the same shapes.

        A checkpoint moves between devices (trained on a GPU, evaluated on a laptop), except
        for the action sampler, whose state differs between CPU and CUDA generators: there
        the learner keeps its own seeded sampler (with a warning).
        """
        if self.optimizer is None:
            raise RuntimeError(f"bind {type(self).__name__} to a group before loading a state")
        ep_return = np.asarray(state["ep_return"], dtype=np.float64)
        if ep_return.shape != (self.n_agents,):
            raise ValueError(
                f"checkpoint is for {ep_return.shape[0]} agents, "
                f"but this learner is bound to {self.n_agents}"
            )
        for name, net in self.nets.items():
            load_network_state(f"net.{name}.", net, state)
        load_optimizer_state(self.optimizer, state)
        self._load_sampler(np.array(state["sampler"], dtype=np.uint8))
        self.updates = int(state["updates"])
        self._ep_return = ep_return.copy()
        self._recent = np.asarray(state["recent"], dtype=np.float64).copy()
        self._recent_count = int(state["recent_count"])
        self._stats = {}
        self._load_buffers(state)

    def _load_sampler(self, sampler: np.ndarray) -> None:
        if sampler.shape == tuple(self.sampler.get_state().shape):
            self.sampler.set_state(torch.as_tensor(sampler))
            return
        warnings.warn(
            "checkpoint's action sampler comes from another kind of device (CPU vs CUDA); "
            "networks and buffers are restored, the sampler keeps this learner's seed",
            UserWarning,
            stacklevel=3,
        )

    # ------------------------------------------------------------------ input checks
    def _check_obs(self, obs: np.ndarray) -> np.ndarray:
        if self.encoder is None:
            raise RuntimeError(f"{type(self).__name__} must be bound to a group before it acts")
        arr = np.asarray(obs, dtype=self._obs_dtype)
        if arr.shape != (self.n_agents, *self._obs_shape):
            raise ValueError(
                f"{type(self).__name__} bound to {self.n_agents} agents got observations of "
                f"shape {arr.shape}; expected {(self.n_agents, *self._obs_shape)}"
            )
        return arr

    def _as(self, values: np.ndarray, dtype: type, what: str) -> np.ndarray:
        arr: np.ndarray = np.asarray(values, dtype=dtype)
        if arr.shape != (self.n_agents,):
            raise ValueError(
                f"{type(self).__name__} bound to {self.n_agents} agents got {what} of shape "
                f"{arr.shape}; expected ({self.n_agents},)"
            )
        return arr

    def _typed_step(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray | None,
        mask: np.ndarray | None,
    ) -> Transitions:
        """The step's transitions, checked and typed; ``truncated`` None → all False."""
        term = self._as(terminated, np.bool_, "terminated")
        trunc = (
            np.zeros(self.n_agents, dtype=bool)
            if truncated is None
            else self._as(truncated, np.bool_, "truncated")
        )
        return Transitions(
            obs=self._check_obs(obs),
            actions=self._as(actions, np.int64, "actions"),
            reward=self._as(reward, np.float64, "reward"),
            next_obs=self._check_obs(next_obs),
            terminated=term,
            truncated=trunc,
            valid=self._everyone if mask is None else self._as(mask, np.bool_, "mask"),
        )
