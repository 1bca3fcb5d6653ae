"""Policy-gradient learners: REINFORCE (Williams 1992) and advantage actor-critic (A2C).

Both learn a softmax policy ``π_θ(a | s)`` directly, instead of action values. That matters
when the best policy is stochastic — in Sutton & Barto's short corridor (Example 13.1) every
cell looks the same, the best policy goes right with probability ≈ 0.586, and no ε-greedy
policy over action values comes close — and it is the lecture's route from tables to
function approximation. The update is gradient ascent on the expected return::

    θ ← θ + α Σ_t Â_t ∇_θ log π_θ(a_t | s_t)

and the two learners differ only in the weight ``Â_t`` of each step:

- :class:`Reinforce`: the Monte-Carlo return ``G_t`` of the rest of the episode, optionally
  minus a learned baseline ``b(s_t)`` (Sutton & Barto §13.3–13.4). It updates after complete
  episodes.
- :class:`ActorCritic`: an n-step (or GAE) advantage from a learned critic ``V(s)``,
  bootstrapped after ``n_steps`` (Mnih et al. 2016, in the synchronous form of Stable-Baselines3's
  A2C, every agent being one environment slot). It updates every ``n_steps`` steps.

As everywhere in the lab, a learner serves a whole group of agents, which share one network
(``shared=True``: one forward pass for the group, experience pooled) or hold one network each
(stacked and evaluated together with ``torch.func.vmap``, see
:mod:`socialrl.learners.networks`). Losses are means over each network's own samples, so an
independent agent's update is the one it would make alone.

Like most deep-RL implementations, the per-step factor ``γ^t`` of the textbook's episodic
REINFORCE is left out (the gradient then weights late steps as much as early ones; Thomas
2014). Returns and advantages are computed by the pure functions of
:mod:`socialrl.learners.returns`.

Randomness: networks are initialised from the bound seed (the global torch generator is left
untouched), and actions are sampled with the learner's own ``torch.Generator``, whose state
is part of the checkpoint.
"""

from __future__ import annotations

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
from socialrl.learners.networks import (
    Encoder,
    NetworkPopulation,
    adam,
    encoder_for,
    make_network,
    resolve_device,
)
from socialrl.learners.returns import discounted_returns, gae

__all__ = [
    "ActorCritic",
    "ActorCriticConfig",
    "Reinforce",
    "ReinforceConfig",
    "policy_gradient_loss",
]

#: Finished episodes whose undiscounted returns make the ``mean_return`` diagnostic.
RECENT_EPISODES = 100

_DEVICE = re.compile(r"^(cpu|auto|cuda(:\d+)?)$")
_OPTIMIZERS = ("adam", "rmsprop")


# ---------------------------------------------------------------------------- configs
def _check_common(
    lr: float,
    gamma: float,
    value_coef: float,
    entropy_coef: float,
    max_grad_norm: float | None,
    hidden: Sequence[int],
    network: str,
    optimizer: str,
    device: str,
) -> tuple[int, ...]:
    """Validate the hyperparameters both learners share; return ``hidden`` as a tuple."""
    if not lr > 0.0:
        raise ValueError(f"lr (learning rate) must be positive, got {lr!r}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma (discount factor) must lie in [0, 1], got {gamma!r}")
    if not value_coef >= 0.0:
        raise ValueError(f"value_coef must be non-negative, got {value_coef!r}")
    if not entropy_coef >= 0.0:
        raise ValueError(f"entropy_coef must be non-negative, got {entropy_coef!r}")
    if max_grad_norm is not None and not max_grad_norm > 0.0:
        raise ValueError(f"max_grad_norm must be positive or None, got {max_grad_norm!r}")
    if isinstance(hidden, int | str):
        raise ValueError(f"hidden must be a list of layer widths such as [64, 64], got {hidden!r}")
    widths = tuple(hidden)
    if any(int(h) != h or h < 1 for h in widths):
        raise ValueError(f"hidden layer widths must be positive integers, got {hidden!r}")
    if network not in ("auto", "mlp", "cnn"):
        raise ValueError(f"network must be 'auto', 'mlp' or 'cnn', got {network!r}")
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be 'adam' or 'rmsprop', got {optimizer!r}")
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {device!r}")
    return tuple(int(h) for h in widths)


def _check_count(name: str, value: Any, allow_none: bool = False) -> None:
    """Refuse anything but a positive integer (or None where allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class ReinforceConfig:
    """Hyperparameters of REINFORCE (Williams 1992; Sutton & Barto §13.3–13.4).

    Attributes:
        lr: Learning rate α of the optimizer (> 0).
        gamma: Discount factor γ ∈ [0, 1] of the returns ``G_t``.
        baseline: Learn a state-value baseline ``b(s)`` (a second network regressed on
            ``G_t``) and weight steps by ``G_t − b(s_t)``: same expected gradient, lower
            variance. It also bootstraps truncated trajectories.
        value_coef: Weight of the baseline's squared error in the loss.
        entropy_coef: Weight of the entropy bonus (keeps the policy from collapsing early).
        max_grad_norm: Clip each network's gradient to this norm (per agent for independent
            networks); None: no clipping.
        normalize_returns: Standardize the weights (``G_t`` or ``G_t − b(s_t)``) of each
            update to mean 0 and standard deviation 1, per network.
        episodes_per_update: Finished episodes (over the whole group; trajectories cut at
            ``window`` count too) between two updates; None: as many as the group has agents.
        window: Longest trajectory kept, in steps. A trajectory that reaches it without ending
            is cut there and learned from as a truncated episode (the mode for continuing
            tasks). The trajectory store holds ``window × n_agents`` observations.
        hidden: Hidden layer widths; ``()`` gives a linear softmax policy.
        network: ``"auto"`` (MLP for vectors, CNN for grids), ``"mlp"`` or ``"cnn"``.
        optimizer: ``"adam"`` (default) or ``"rmsprop"``.
        shared: One network for the whole group (parameter sharing) or one per agent.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.

    """

    lr: float = 1e-3
    gamma: float = 0.99
    baseline: bool = False
    value_coef: float = 0.5
    entropy_coef: float = 0.0
    max_grad_norm: float | None = None
    normalize_returns: bool = False
    episodes_per_update: int | None = None
    window: int = 1000
    hidden: tuple[int, ...] = (64, 64)
    network: str = "auto"
    optimizer: str = "adam"
    shared: bool = True
    device: str = "cpu"

    def __post_init__(self) -> None:
        hidden = _check_common(
            self.lr,
            self.gamma,
            self.value_coef,
            self.entropy_coef,
            self.max_grad_norm,
            self.hidden,
            self.network,
            self.optimizer,
            self.device,
        )
        object.__setattr__(self, "hidden", hidden)
        _check_count("episodes_per_update", self.episodes_per_update, allow_none=True)
        _check_count("window", self.window)


@dataclass(frozen=True)
class ActorCriticConfig:
    """Hyperparameters of synchronous advantage actor-critic, A2C (Mnih et al. 2016).

    Defaults follow Stable-Baselines3's A2C (lr 7e-4, n_steps 5, value_coef 0.5,
    max_grad_norm 0.5, RMSprop with α = 0.99, ε = 1e-5).

    Attributes:
        lr: Learning rate (> 0).
        gamma: Discount factor γ ∈ [0, 1].
        gae_lambda: λ ∈ [0, 1] of generalized advantage estimation; 1 gives the n-step
            returns of A2C, below 1 trades variance for bias (Schulman et al. 2016).
        n_steps: Steps of each rollout (≥ 1); every agent contributes one step per step, and
            the learner updates once per rollout. ``n_steps=1`` is one-step (TD(0))
            actor-critic.
        value_coef: Weight of the critic's squared error in the loss.
        entropy_coef: Weight of the entropy bonus.
        max_grad_norm: Clip each network's gradient to this norm (per agent for independent
            networks); None: no clipping.
        normalize_advantages: Standardize each rollout's advantages, per network.
        optimizer: ``"rmsprop"`` (as in the paper) or ``"adam"``.
        shared_trunk: One network with two heads (policy logits and value) instead of
            separate actor and critic networks.
        hidden: Hidden layer widths.
        network: ``"auto"``, ``"mlp"`` or ``"cnn"``.
        shared: One network (or actor-critic pair) for the group, or one per agent.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.

    """

    lr: float = 7e-4
    gamma: float = 0.99
    gae_lambda: float = 1.0
    n_steps: int = 5
    value_coef: float = 0.5
    entropy_coef: float = 0.0
    max_grad_norm: float | None = 0.5
    normalize_advantages: bool = False
    optimizer: str = "rmsprop"
    shared_trunk: bool = False
    hidden: tuple[int, ...] = (64, 64)
    network: str = "auto"
    shared: bool = True
    device: str = "cpu"

    def __post_init__(self) -> None:
        hidden = _check_common(
            self.lr,
            self.gamma,
            self.value_coef,
            self.entropy_coef,
            self.max_grad_norm,
            self.hidden,
            self.network,
            self.optimizer,
            self.device,
        )
        object.__setattr__(self, "hidden", hidden)
        if not 0.0 <= self.gae_lambda <= 1.0:
            raise ValueError(f"gae_lambda must lie in [0, 1], got {self.gae_lambda!r}")
        _check_count("n_steps", self.n_steps)


# ---------------------------------------------------------------------------- loss pieces
def _row_means(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Σ over rows of each row's mean over its valid entries: ``x[g, W] → scalar``.

    A row is one network's batch (one row for a shared network, one per agent for
    independent networks), so each network's gradient is that of its own mean loss.
    """
    count = valid.sum(dim=1).clamp(min=1)
    return ((x * valid).sum(dim=1) / count).sum()


def _standardize_rows(x: torch.Tensor, valid: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``(x − mean) / (std + eps)`` within each row's valid entries (0 elsewhere)."""
    count = valid.sum(dim=1, keepdim=True).clamp(min=1)
    mean = (x * valid).sum(dim=1, keepdim=True) / count
    var = (((x - mean) * valid) ** 2).sum(dim=1, keepdim=True) / count
    return (x - mean) / (var.sqrt() + eps) * valid


def policy_gradient_loss(
    logits: torch.Tensor,
    actions: torch.Tensor,
    weights: torch.Tensor,
    valid: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The score-function loss ``−mean Â_t log π(a_t | s_t)`` and the policy's mean entropy.

    Minimizing the loss ascends ``Σ_t Â_t ∇ log π(a_t | s_t)``, the policy-gradient estimate;
    the weights ``Â_t`` are constants (no gradient flows into returns or baselines).

    Args:
        logits: Policy logits ``[g, W, A]`` (g rows: networks; W samples each).
        actions: Actions taken, ``int64[g, W]``.
        weights: ``Â_t``: returns or advantages, ``[g, W]``.
        valid: 1.0 where a sample exists, 0.0 in padding, ``[g, W]``.

    Returns:
        ``(policy_loss, entropy)``, each the sum over rows of the row's mean.

    """
    log_probs = torch.log_softmax(logits, dim=-1)
    taken = log_probs.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    entropy = -(log_probs.exp() * log_probs).sum(dim=-1)
    return _row_means(-weights.detach() * taken, valid), _row_means(entropy, valid)


def _run(net: NetworkPopulation, x: torch.Tensor, per_agent: bool) -> torch.Tensor:
    """Evaluate a population: ``x[n, ...]`` (one input per agent) or rows ``x[g, W, ...]``."""
    if per_agent:
        return net.per_agent(x)
    if net.shared:
        g, w = x.shape[:2]
        return net(x.reshape(g * w, *x.shape[2:])).reshape(g, w, -1)
    return net(x)


def _grid_positions(agent: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Row and column of each sample in a padded grid ``[n_rows, width]``.

    With one row (a shared network) samples keep their order; otherwise row ``i`` holds the
    samples of agent ``i`` in their order (a stable sort, no loop over agents).
    """
    m = agent.shape[0]
    if n_rows == 1:
        return np.zeros(m, dtype=np.int64), np.arange(m, dtype=np.int64), max(m, 1)
    order = np.argsort(agent, kind="stable")
    counts = np.bincount(agent, minlength=n_rows)
    starts = np.cumsum(counts) - counts
    col = np.empty(m, dtype=np.int64)
    col[order] = np.arange(m) - starts[agent[order]]
    return agent.astype(np.int64), col, max(int(counts.max(initial=0)), 1)


def _seeds(seed: np.random.SeedSequence, k: int) -> list[int]:
    """``k`` independent 63-bit torch seeds from one seed sequence (which is not mutated)."""
    return [int(s >> np.uint64(1)) for s in seed.generate_state(k, np.uint64)]


# ---------------------------------------------------------------------------- common base
class _SoftmaxPolicyLearner(Checkpointing):
    """What both learners share: networks, acting, optimizer step, checkpoints.

    Subclasses build their networks in :meth:`_build`, keep their own trajectory buffers
    (:meth:`_reset_buffers`, :meth:`_buffer_state`, :meth:`_load_buffers`) and define
    ``learn``.
    """

    name = "policy_gradient"
    config: ReinforceConfig | ActorCriticConfig

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
        self._obs_dtype = (
            np.dtype(np.int64)
            if isinstance(observation_space, gym.spaces.Discrete | gym.spaces.MultiDiscrete)
            else np.dtype(np.float32)
        )
        init_seeds = _seeds(seed, 3)

        def population(out_dim: int, init_seed: int) -> NetworkPopulation:
            def build() -> nn.Module:
                return make_network(encoder, out_dim, cfg.hidden, cfg.network)

            return NetworkPopulation(build, self.n_agents, cfg.shared, init_seed, self.device)

        self.nets = self._build(population, init_seeds[:2])
        params = [p for net in self.nets.values() for p in net.parameters()]
        if cfg.optimizer == "adam":
            self.optimizer = adam(params, cfg.lr)  # fused where available
        else:  # Stable-Baselines3's A2C settings
            self.optimizer = torch.optim.RMSprop(params, lr=cfg.lr, alpha=0.99, eps=1e-5)
        self.sampler = torch.Generator(device=self.device)
        self.sampler.manual_seed(init_seeds[2])
        self.updates = 0
        self._everyone = np.ones(self.n_agents, dtype=bool)
        self._ep_return = np.zeros(self.n_agents)
        self._recent = np.full(RECENT_EPISODES, np.nan)
        self._recent_count = 0
        self._stats = {}
        self._reset_buffers()

    def _build(
        self, population: Callable[[int, int], NetworkPopulation], seeds: Sequence[int]
    ) -> dict[str, NetworkPopulation]:
        raise NotImplementedError

    def _reset_buffers(self) -> None:
        raise NotImplementedError

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

    # ------------------------------------------------------------------ learning helpers
    def _active(self, mask: np.ndarray | None) -> np.ndarray:
        return self._everyone if mask is None else self._as(mask, np.bool_, "mask")

    def _count_episodes(
        self,
        reward: np.ndarray,
        ended: np.ndarray,
        active: np.ndarray,
    ) -> None:
        """Accumulate undiscounted returns; file those of finished episodes (diagnostics)."""
        self._ep_return += np.where(active, reward, 0.0)
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
            weights = _standardize_rows(weights, valid)
        policy_loss, entropy = policy_gradient_loss(logits, actions, weights, valid)
        loss = policy_loss - cfg.entropy_coef * entropy
        rows = float(logits.shape[0])
        stats = {"policy_loss": policy_loss.item() / rows, "entropy": entropy.item() / rows}
        if values is not None:
            value_loss = _row_means((targets - values) ** 2, valid)
            loss = loss + cfg.value_coef * value_loss
            stats["value_loss"] = value_loss.item() / rows
        stats["loss"] = loss.item() / rows
        self._stats = stats
        return loss

    # ------------------------------------------------------------------ diagnostics
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
            for key, value in net.state_dict().items():
                state[f"net.{name}.{key}"] = value.detach().cpu().numpy().copy()
        if self.optimizer is not None:
            for index, moments in self.optimizer.state_dict()["state"].items():
                for key, value in moments.items():
                    array = torch.as_tensor(value).detach().cpu().numpy().copy()
                    state[f"optim.{index}.{key}"] = array
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
            prefix = f"net.{name}."
            tensors = {
                key[len(prefix) :]: torch.as_tensor(np.array(value), device=self.device)
                for key, value in state.items()
                if key.startswith(prefix)
            }
            try:
                net.load_state_dict(tensors)
            except RuntimeError as err:
                raise ValueError(f"checkpoint does not fit network {name!r}: {err}") from None
        moments: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in state.items():
            if key.startswith("optim."):
                _, index, what = key.split(".", 2)
                moments.setdefault(int(index), {})[what] = torch.as_tensor(np.array(value))
        optim_state = self.optimizer.state_dict()
        optim_state["state"] = moments
        self.optimizer.load_state_dict(optim_state)
        sampler = np.array(state["sampler"], dtype=np.uint8)
        if sampler.shape == tuple(self.sampler.get_state().shape):
            self.sampler.set_state(torch.as_tensor(sampler))
        else:
            warnings.warn(
                "checkpoint's action sampler comes from another kind of device (CPU vs CUDA); "
                "networks and buffers are restored, the sampler keeps this learner's seed",
                UserWarning,
                stacklevel=2,
            )
        self.updates = int(state["updates"])
        self._ep_return = ep_return.copy()
        self._recent = np.asarray(state["recent"], dtype=np.float64).copy()
        self._recent_count = int(state["recent_count"])
        self._stats = {}
        self._load_buffers(state)

    def _buffer_state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _load_buffers(self, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

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

    def _step_inputs(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray | None,
        mask: np.ndarray | None,
    ) -> tuple[np.ndarray, ...]:
        """The step's transitions, checked and typed; ``truncated`` None → all False."""
        term = self._as(terminated, np.bool_, "terminated")
        trunc = (
            np.zeros(self.n_agents, dtype=bool)
            if truncated is None
            else self._as(truncated, np.bool_, "truncated")
        )
        return (
            self._check_obs(obs),
            self._as(actions, np.int64, "actions"),
            self._as(reward, np.float64, "reward"),
            self._check_obs(next_obs),
            term,
            trunc,
            self._active(mask),
        )


# ---------------------------------------------------------------------------- REINFORCE
class Reinforce(_SoftmaxPolicyLearner):
    """REINFORCE, Monte-Carlo policy gradient (Williams 1992), batched over a group.

    The lecture's update, after complete episodes::

        G_t = r_t + γ G_{t+1}                       (the return of the rest of the episode)
        θ ← θ + α Σ_t (G_t − b(s_t)) ∇_θ log π_θ(a_t | s_t)

    with ``b ≡ 0`` unless ``baseline=True`` (then ``b`` is a learned value network, fitted to
    the same returns). The update comes after ``episodes_per_update`` finished episodes of the
    group, on every step of those episodes.

    Trajectories: every agent writes its steps into its own column of preallocated arrays
    ``[window, n]`` (observations, actions, rewards), one row per step, marking the row where
    an episode ends; agents whose episodes end at different steps need no loop over agents.
    Before an update (or when a column is full) the returns of every column are computed in
    one backward pass (:func:`~socialrl.learners.returns.discounted_returns`), the finished
    episodes' steps go to the update's batch, and each agent's unfinished episode moves to the
    top of its column. An episode that straddles an update was partly sampled by the previous
    policy: the small off-policy error that batched REINFORCE accepts.

    Episode ends: a terminated episode's return stops at its end; a truncated one (time limit,
    or a trajectory that reaches ``window`` steps: the mode for continuing tasks) is
    bootstrapped with the baseline's value of its final observation when there is a baseline,
    and otherwise simply stops.

    Args:
        lr: Learning rate (> 0).
        gamma: Discount factor γ ∈ [0, 1].
        baseline: Learn a state-value baseline.
        value_coef: Weight of the baseline's squared error.
        entropy_coef: Weight of the entropy bonus.
        max_grad_norm: Gradient clipping norm (None: none).
        normalize_returns: Standardize each update's weights (``G`` or ``G − b``).
        episodes_per_update: Finished episodes per update (None: the group's size).
        window: Longest trajectory, in steps (see :class:`ReinforceConfig`).
        hidden: Hidden layer widths (``()``: a linear softmax policy).
        network: ``"auto"``, ``"mlp"`` or ``"cnn"``.
        optimizer: ``"adam"`` or ``"rmsprop"``.
        shared: One network for the group (True) or one per agent.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.

    """

    name = "reinforce"
    config: ReinforceConfig

    def __init__(
        self,
        lr: float = 1e-3,
        gamma: float = 0.99,
        baseline: bool = False,
        value_coef: float = 0.5,
        entropy_coef: float = 0.0,
        max_grad_norm: float | None = None,
        normalize_returns: bool = False,
        episodes_per_update: int | None = None,
        window: int = 1000,
        hidden: Sequence[int] = (64, 64),
        network: str = "auto",
        optimizer: str = "adam",
        shared: bool = True,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        self.config = ReinforceConfig(
            lr=lr,
            gamma=gamma,
            baseline=baseline,
            value_coef=value_coef,
            entropy_coef=entropy_coef,
            max_grad_norm=max_grad_norm,
            normalize_returns=normalize_returns,
            episodes_per_update=episodes_per_update,
            window=window,
            hidden=hidden,  # type: ignore[arg-type]
            network=network,
            optimizer=optimizer,
            shared=shared,
            device=device,
        )
        self._agents = np.zeros(0, dtype=np.int64)
        self._row = np.zeros(0, dtype=np.int64)
        self._start = np.zeros(0, dtype=np.int64)
        self._obs = np.zeros((0, 0))
        self._actions = np.zeros((0, 0), dtype=np.int64)
        self._rewards = np.zeros((0, 0))
        self._ends = np.zeros((0, 0), dtype=bool)
        self._end_values = np.zeros((0, 0))
        self._batch: list[dict[str, np.ndarray]] = []
        self._pending = 0

    def _build(
        self, population: Callable[[int, int], NetworkPopulation], seeds: Sequence[int]
    ) -> dict[str, NetworkPopulation]:
        nets = {"policy": population(self.n_actions, seeds[0])}
        if self.config.baseline:
            nets["value"] = population(1, seeds[1])
        return nets

    def _reset_buffers(self) -> None:
        n, window = self.n_agents, self.config.window
        self._agents = np.arange(n, dtype=np.int64)
        #: Per agent: the next row to write, and the first row of its unfinished episode.
        self._row = np.zeros(n, dtype=np.int64)
        self._start = np.zeros(n, dtype=np.int64)
        self._obs = np.zeros((window, n, *self._obs_shape), dtype=self._obs_dtype)
        self._actions = np.zeros((window, n), dtype=np.int64)
        self._rewards = np.zeros((window, n))
        self._ends = np.zeros((window, n), dtype=bool)
        self._end_values = np.zeros((window, n))
        self._batch = []
        self._pending = 0

    @property
    def episodes_per_update(self) -> int:
        """Finished episodes (over the group) that trigger an update."""
        return self.config.episodes_per_update or self.n_agents

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
        """Append the step to every active agent's trajectory and mark the episodes that end.

        Updates the policy once ``episodes_per_update`` episodes have finished.
        """
        obs, actions, reward, next_obs, term, trunc, active = self._step_inputs(
            obs, actions, reward, next_obs, terminated, truncated, mask
        )
        self._count_episodes(reward, active & (term | trunc), active)
        if mask is None:
            rows, who = self._row, self._agents
        else:
            rows, who = self._row[active], self._agents[active]
            obs, actions, reward = obs[active], actions[active], reward[active]
        self._obs[rows, who] = obs
        self._actions[rows, who] = actions
        self._rewards[rows, who] = reward
        self._row[who] += 1
        cut = self._row - self._start >= self.config.window
        ended = active & (term | trunc | cut)
        if ended.any():
            self._end(np.flatnonzero(ended), next_obs, term)
        if self._pending >= self.episodes_per_update:
            self._collect()
            self._update()
        elif self._row.max() >= self.config.window:
            self._collect()  # a full column: make room

    def _end(self, k: np.ndarray, next_obs: np.ndarray, terminated: np.ndarray) -> None:
        """Mark the episodes of agents ``k`` as ended at their last written row.

        A truncated episode keeps the baseline's value of its final observation, the value
        its return continues with (terminated episodes continue with 0).
        """
        last = self._row[k] - 1
        self._ends[last, k] = True
        cut_short = ~terminated[k]
        if "value" in self.nets and cut_short.any():
            with torch.no_grad():
                value = self._values(self._encode(next_obs), per_agent=True)
            assert value is not None
            v = value.double().cpu().numpy()[k]
            self._end_values[last, k] = np.where(cut_short, v, 0.0)
        self._start[k] = self._row[k]
        self._pending += k.size

    def _collect(self) -> None:
        """Move the finished episodes' steps, with their returns, into the update's batch.

        One backward pass over the written rows gives every return; rows above an agent's
        unfinished episode are finished steps, and the unfinished episode then moves up to
        row 0 of its column.
        """
        height = int(self._row.max())
        ends = self._ends[:height]
        returns = discounted_returns(
            self._rewards[:height], ends, self.config.gamma, end_values=self._end_values[:height]
        )
        depth = np.arange(height)[:, None]
        finished = depth < self._start[None, :]
        if finished.any():
            self._batch.append(
                {
                    "obs": self._obs[:height][finished],
                    "actions": self._actions[:height][finished],
                    "returns": returns[finished],
                    "agents": np.broadcast_to(self._agents, finished.shape)[finished],
                }
            )
        source = np.minimum(depth + self._start[None, :], max(height - 1, 0))
        columns = self._agents[None, :]
        self._obs[:height] = self._obs[source, columns]
        self._actions[:height] = self._actions[source, columns]
        self._rewards[:height] = self._rewards[source, columns]
        self._ends[:height] = False  # unfinished episodes have no ends
        self._end_values[:height] = 0.0
        self._row -= self._start
        self._start[:] = 0

    def _batched(self) -> dict[str, np.ndarray]:
        """The steps waiting for the next update, concatenated."""
        empty = {
            "obs": np.zeros((0, *self._obs_shape), dtype=self._obs_dtype),
            "actions": np.zeros(0, dtype=np.int64),
            "returns": np.zeros(0),
            "agents": np.zeros(0, dtype=np.int64),
        }
        if not self._batch:
            return empty
        return {key: np.concatenate([b[key] for b in self._batch]) for key in empty}

    def _update(self) -> None:
        """One gradient step on every step of the finished episodes, then forget them."""
        data = self._batched()
        n_rows = 1 if self.config.shared else self.n_agents
        row, col, width = _grid_positions(data["agents"], n_rows)
        row_t = torch.as_tensor(row, device=self.device)
        col_t = torch.as_tensor(col, device=self.device)

        def grid(values: torch.Tensor) -> torch.Tensor:
            shape = (n_rows, width, *values.shape[1:])
            out = torch.zeros(shape, dtype=values.dtype, device=self.device)
            out[row_t, col_t] = values
            return out

        x = grid(self._encode(data["obs"]))
        actions = grid(torch.as_tensor(data["actions"], device=self.device))
        returns = grid(torch.as_tensor(data["returns"], dtype=torch.float32, device=self.device))
        valid = grid(torch.ones(row.shape[0], device=self.device))
        logits, values = self._heads(x, per_agent=False)
        weights = returns if values is None else returns - values.detach()
        loss = self._loss(
            logits, values, actions, weights, returns, valid, self.config.normalize_returns
        )
        self._step(loss)
        self._batch = []
        self._pending = 0

    def _buffer_state(self) -> dict[str, np.ndarray]:
        height = int(self._row.max(initial=0))
        data = self._batched()
        return {
            "traj_row": self._row.copy(),
            "traj_start": self._start.copy(),
            "traj_obs": self._obs[:height].copy(),
            "traj_actions": self._actions[:height].copy(),
            "traj_rewards": self._rewards[:height].copy(),
            "traj_ends": self._ends[:height].copy(),
            "traj_end_values": self._end_values[:height].copy(),
            "pending": np.array(self._pending),
            **{f"batch_{key}": value for key, value in data.items()},
        }

    def _load_buffers(self, state: dict[str, np.ndarray]) -> None:
        self._reset_buffers()
        row = np.asarray(state["traj_row"], dtype=np.int64)
        height = int(row.max(initial=0))
        if height > self.config.window:
            raise ValueError(
                f"checkpoint holds {height} trajectory steps, more than window {self.config.window}"
            )
        self._row[:] = row
        self._start[:] = state["traj_start"]
        self._obs[:height] = state["traj_obs"]
        self._actions[:height] = state["traj_actions"]
        self._rewards[:height] = state["traj_rewards"]
        self._ends[:height] = state["traj_ends"]
        self._end_values[:height] = state["traj_end_values"]
        self._pending = int(state["pending"])
        batch = {key: np.array(state[f"batch_{key}"]) for key in ("obs", "actions", "returns")}
        batch["agents"] = np.asarray(state["batch_agents"], dtype=np.int64)
        batch["obs"] = batch["obs"].astype(self._obs_dtype)
        self._batch = [batch] if batch["agents"].size else []

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Reinforce(lr={c.lr}, gamma={c.gamma}, baseline={c.baseline}, "
            f"episodes_per_update={c.episodes_per_update}, hidden={list(c.hidden)}, "
            f"shared={c.shared})"
        )


# ---------------------------------------------------------------------------- A2C
class ActorCritic(_SoftmaxPolicyLearner):
    """Synchronous advantage actor-critic, A2C (Mnih et al. 2016), batched over a group.

    Every agent is one environment slot of an n-step rollout ``[n_steps, n]`` (as in
    Stable-Baselines3's A2C). After ``n_steps`` steps, the critic values ``V(s_t)`` and
    ``V(s_{t+1})`` of the rollout give the advantages (:func:`~socialrl.learners.returns.gae`)::

        δ_t = r_t + γ V(s_{t+1}) (1 − terminated_t) − V(s_t)
        Â_t = δ_t + γ λ (1 − end_t) Â_{t+1}

    and one gradient step minimizes::

        − mean Â_t log π(a_t | s_t) + c_V mean (Â_t + V(s_t) − V_θ(s_t))² − c_H mean H(π(·|s_t))

    With λ = 1 (default) the targets are n-step returns bootstrapped from the critic at the
    rollout's end; ``n_steps=1`` is one-step actor-critic. Truncated episodes bootstrap from the
    critic's value of their final observation; terminated ones do not. Agents masked out in a
    step (they did not move) leave a hole in the rollout that neither learns nor bootstraps.

    Args:
        lr: Learning rate (> 0).
        gamma: Discount factor γ ∈ [0, 1].
        gae_lambda: GAE λ ∈ [0, 1] (1: n-step returns).
        n_steps: Rollout length (≥ 1).
        value_coef: Weight of the critic's loss.
        entropy_coef: Weight of the entropy bonus.
        max_grad_norm: Gradient clipping norm (None: none).
        normalize_advantages: Standardize each rollout's advantages.
        optimizer: ``"rmsprop"`` or ``"adam"``.
        shared_trunk: One network with policy and value heads instead of two networks.
        hidden: Hidden layer widths.
        network: ``"auto"``, ``"mlp"`` or ``"cnn"``.
        shared: One network (pair) for the group, or one per agent.
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.

    """

    name = "a2c"
    config: ActorCriticConfig

    def __init__(
        self,
        lr: float = 7e-4,
        gamma: float = 0.99,
        gae_lambda: float = 1.0,
        n_steps: int = 5,
        value_coef: float = 0.5,
        entropy_coef: float = 0.0,
        max_grad_norm: float | None = 0.5,
        normalize_advantages: bool = False,
        optimizer: str = "rmsprop",
        shared_trunk: bool = False,
        hidden: Sequence[int] = (64, 64),
        network: str = "auto",
        shared: bool = True,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        self.config = ActorCriticConfig(
            lr=lr,
            gamma=gamma,
            gae_lambda=gae_lambda,
            n_steps=n_steps,
            value_coef=value_coef,
            entropy_coef=entropy_coef,
            max_grad_norm=max_grad_norm,
            normalize_advantages=normalize_advantages,
            optimizer=optimizer,
            shared_trunk=shared_trunk,
            hidden=hidden,  # type: ignore[arg-type]
            network=network,
            shared=shared,
            device=device,
        )
        self._t = 0
        self._obs = np.zeros((0, 0))
        self._next_obs = np.zeros((0, 0))
        self._actions = np.zeros((0, 0), dtype=np.int64)
        self._rewards = np.zeros((0, 0))
        self._terminated = np.zeros((0, 0), dtype=bool)
        self._ended = np.zeros((0, 0), dtype=bool)
        self._valid = np.zeros((0, 0), dtype=bool)

    def _build(
        self, population: Callable[[int, int], NetworkPopulation], seeds: Sequence[int]
    ) -> dict[str, NetworkPopulation]:
        if self.config.shared_trunk:
            return {"actor_critic": population(self.n_actions + 1, seeds[0])}
        return {"policy": population(self.n_actions, seeds[0]), "value": population(1, seeds[1])}

    def _reset_buffers(self) -> None:
        shape = (self.config.n_steps, self.n_agents)
        self._t = 0
        self._obs = np.zeros((*shape, *self._obs_shape), dtype=self._obs_dtype)
        self._next_obs = np.zeros_like(self._obs)
        self._actions = np.zeros(shape, dtype=np.int64)
        self._rewards = np.zeros(shape)
        self._terminated = np.zeros(shape, dtype=bool)
        self._ended = np.zeros(shape, dtype=bool)
        self._valid = np.zeros(shape, dtype=bool)

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
        """Write the step into the rollout; update when the rollout is full."""
        obs, actions, reward, next_obs, term, trunc, active = self._step_inputs(
            obs, actions, reward, next_obs, terminated, truncated, mask
        )
        t = self._t
        self._obs[t] = obs
        self._next_obs[t] = next_obs
        self._actions[t] = actions
        self._rewards[t] = reward
        self._terminated[t] = term
        self._ended[t] = term | trunc
        self._valid[t] = active
        self._count_episodes(reward, active & (term | trunc), active)
        self._t += 1
        if self._t == self.config.n_steps:
            self._update()
            self._t = 0

    def _rows(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, n, ...]`` → one row per network: ``[1, T·n, ...]`` shared, ``[n, T, ...]``."""
        if self.config.shared:
            return x.reshape(1, -1, *x.shape[2:])
        return x.transpose(0, 1)

    def _unrows(self, x: torch.Tensor) -> np.ndarray:
        """The inverse of :meth:`_rows` for ``[g, W]`` tensors, as a numpy ``[T, n]`` array."""
        t, n = self._rewards.shape
        back = x.reshape(t, n) if self.config.shared else x.transpose(0, 1)
        return back.detach().double().cpu().numpy()

    def _update(self) -> None:
        """Advantages of the rollout by GAE, then one gradient step (Mnih et al. 2016)."""
        cfg = self.config
        t, n = self._rewards.shape
        flat = (t * n, *self._obs_shape)
        x = self._encode(self._obs.reshape(flat))
        x = self._rows(x.reshape(t, n, *x.shape[1:]))
        logits, values = self._heads(x, per_agent=False)
        with torch.no_grad():
            xn = self._encode(self._next_obs.reshape(flat))
            next_values = self._values(self._rows(xn.reshape(t, n, *xn.shape[1:])), False)
        assert values is not None and next_values is not None
        valid = self._valid
        advantages, returns = gae(
            rewards=np.where(valid, self._rewards, 0.0),
            values=np.where(valid, self._unrows(values), 0.0),
            next_values=np.where(valid, self._unrows(next_values), 0.0),
            terminated=self._terminated | ~valid,
            episode_end=self._ended | ~valid,
            gamma=cfg.gamma,
            lam=cfg.gae_lambda,
        )

        def rows(a: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return self._rows(torch.as_tensor(a, dtype=dtype, device=self.device))

        loss = self._loss(
            logits,
            values,
            rows(self._actions, torch.int64),
            rows(advantages),
            rows(returns),
            rows(valid),
            cfg.normalize_advantages,
        )
        self._step(loss)

    def _buffer_state(self) -> dict[str, np.ndarray]:
        t = self._t
        return {
            "rollout_step": np.array(t),
            "rollout_obs": self._obs[:t].copy(),
            "rollout_next_obs": self._next_obs[:t].copy(),
            "rollout_actions": self._actions[:t].copy(),
            "rollout_rewards": self._rewards[:t].copy(),
            "rollout_terminated": self._terminated[:t].copy(),
            "rollout_ended": self._ended[:t].copy(),
            "rollout_valid": self._valid[:t].copy(),
        }

    def _load_buffers(self, state: dict[str, np.ndarray]) -> None:
        self._reset_buffers()
        t = int(state["rollout_step"])
        if t >= self.config.n_steps:
            raise ValueError(
                f"checkpoint rollout step {t} does not fit n_steps {self.config.n_steps}"
            )
        self._t = t
        self._obs[:t] = state["rollout_obs"]
        self._next_obs[:t] = state["rollout_next_obs"]
        self._actions[:t] = state["rollout_actions"]
        self._rewards[:t] = state["rollout_rewards"]
        self._terminated[:t] = state["rollout_terminated"]
        self._ended[:t] = state["rollout_ended"]
        self._valid[:t] = state["rollout_valid"]

    def __repr__(self) -> str:
        c = self.config
        return (
            f"ActorCritic(lr={c.lr}, gamma={c.gamma}, gae_lambda={c.gae_lambda}, "
            f"n_steps={c.n_steps}, shared_trunk={c.shared_trunk}, hidden={list(c.hidden)}, "
            f"shared={c.shared})"
        )
