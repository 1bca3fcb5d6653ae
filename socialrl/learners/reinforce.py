"""REINFORCE, Monte-Carlo policy gradient (Williams 1992; Sutton & Barto 2018, §13.3–13.4).

A policy-based learner: it learns a softmax policy ``π_θ(a | s)`` directly, instead of action
values. That matters when the best policy is stochastic — in Sutton & Barto's short corridor
(Example 13.1) every cell looks the same, the best policy goes right with probability ≈ 0.586,
and no ε-greedy policy over action values comes close. After complete episodes it ascends the
gradient of the expected return::

    G_t = r_t + γ G_{t+1}                       (the return of the rest of the episode)
    θ ← θ + α Σ_t (G_t − b(s_t)) ∇_θ log π_θ(a_t | s_t)

with ``b ≡ 0`` unless ``baseline=True`` (then ``b`` is a learned value network fitted to the
same returns: same expected gradient, lower variance). Like most deep-RL implementations, the
per-step factor ``γ^t`` of the textbook's episodic REINFORCE is left out (the gradient then
weights late steps as much as early ones; Thomas 2014).

The networks, acting, the loss and checkpoints are shared with actor-critic
(:mod:`socialrl.learners.softmax_policy`); the trajectories of the group's agents, cut into
finished episodes with their returns, live in :mod:`socialrl.learners.trajectories`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from socialrl.learners.networks import NetworkPopulation
from socialrl.learners.softmax_policy import (
    PolicyGradientConfig,
    PopulationBuilder,
    SoftmaxPolicyLearner,
    check_positive_count,
)
from socialrl.learners.trajectories import TrajectoryStore

__all__ = ["Reinforce", "ReinforceConfig"]


@dataclass(frozen=True)
class ReinforceConfig(PolicyGradientConfig):
    """Hyperparameters of REINFORCE: the shared ones (:class:`PolicyGradientConfig`) and these.

    Of the shared ones, ``gamma`` discounts the returns ``G_t`` and ``value_coef`` weighs the
    baseline's squared error.

    Attributes:
        baseline: Learn a state-value baseline ``b(s)`` (a second network regressed on
            ``G_t``) and weight steps by ``G_t − b(s_t)``: same expected gradient, lower
            variance. It also bootstraps truncated trajectories.
        normalize_returns: Standardize the weights (``G_t`` or ``G_t − b(s_t)``) of each
            update to mean 0 and standard deviation 1, per network.
        episodes_per_update: Finished episodes (over the whole group; trajectories cut at
            ``window`` count too) between two updates; None: as many as the group has agents.
        window: Longest trajectory kept, in steps. A trajectory that reaches it without ending
            is cut there and learned from as a truncated episode (the mode for continuing
            tasks). The trajectory store holds ``window × n_agents`` observations.

    """

    baseline: bool = False
    normalize_returns: bool = False
    episodes_per_update: int | None = None
    window: int = 1000

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive_count("episodes_per_update", self.episodes_per_update, allow_none=True)
        check_positive_count("window", self.window)


class Reinforce(SoftmaxPolicyLearner):
    """REINFORCE (see the module docstring), batched over a group of agents.

    The update comes after ``episodes_per_update`` finished episodes of the group, on every
    step of those episodes. An episode that straddles an update was partly sampled by the
    previous policy: the small off-policy error that batched REINFORCE accepts.

    Episode ends: a terminated episode's return stops at its end; a truncated one (time limit,
    or a trajectory that reaches ``window`` steps: the mode for continuing tasks) is
    bootstrapped with the baseline's value of its final observation when there is a baseline,
    and otherwise simply stops.

    The keyword arguments are the fields of :class:`ReinforceConfig` (documented there and in
    :class:`~socialrl.learners.softmax_policy.PolicyGradientConfig`), kept in
    ``learner.config``.
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
        self.store = TrajectoryStore(window, 0, (), np.dtype(np.int64))

    def _build(
        self, population: PopulationBuilder, seeds: Sequence[int]
    ) -> dict[str, NetworkPopulation]:
        nets = {"policy": population(self.n_actions, seeds[0])}
        if self.config.baseline:
            nets["value"] = population(1, seeds[1])
        return nets

    def _reset_buffers(self) -> None:
        self.store = TrajectoryStore(
            self.config.window, self.n_agents, self._obs_shape, self._obs_dtype
        )

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
        step = self._typed_step(obs, actions, reward, next_obs, terminated, truncated, mask)
        self._count_episodes(step)
        self.store.append(step)
        ended = step.valid & (step.terminated | step.truncated | self.store.at_window())
        if ended.any():
            k = np.flatnonzero(ended)
            self.store.end(k, self._end_values(k, step.next_obs, step.terminated))
        if self.store.pending >= self.episodes_per_update:
            self.store.collect(self.config.gamma)
            self._update()
        elif self.store.full():
            self.store.collect(self.config.gamma)  # a full column: make room

    def _end_values(
        self, k: np.ndarray, next_obs: np.ndarray, terminated: np.ndarray
    ) -> np.ndarray:
        """What the returns of agents ``k``'s ending episodes continue with.

        A truncated episode continues with the baseline's value of its final observation
        (without a baseline, and after a termination, with 0).
        """
        cut_short = ~terminated[k]
        if "value" not in self.nets or not cut_short.any():
            return np.zeros(k.size)
        with torch.no_grad():
            value = self._values(self._encode(next_obs), per_agent=True)
        assert value is not None
        v = value.double().cpu().numpy()[k]
        return np.where(cut_short, v, 0.0)

    def _update(self) -> None:
        """One gradient step on every step of the finished episodes, then forget them."""
        data = self.store.take()
        n_rows = 1 if self.config.shared else self.n_agents
        row, col, width = _grid_positions(data.agents, n_rows)
        row_t = torch.as_tensor(row, device=self.device)
        col_t = torch.as_tensor(col, device=self.device)

        def grid(values: torch.Tensor) -> torch.Tensor:
            shape = (n_rows, width, *values.shape[1:])
            out = torch.zeros(shape, dtype=values.dtype, device=self.device)
            out[row_t, col_t] = values
            return out

        x = grid(self._encode(data.obs))
        actions = grid(torch.as_tensor(data.actions, device=self.device))
        returns = grid(torch.as_tensor(data.returns, dtype=torch.float32, device=self.device))
        valid = grid(torch.ones(row.shape[0], device=self.device))
        logits, values = self._heads(x, per_agent=False)
        weights = returns if values is None else returns - values.detach()
        loss = self._loss(
            logits, values, actions, weights, returns, valid, self.config.normalize_returns
        )
        self._step(loss)

    def _buffer_state(self) -> dict[str, np.ndarray]:
        return self.store.state_dict()

    def _load_buffers(self, state: dict[str, np.ndarray]) -> None:
        self._reset_buffers()
        self.store.load_state_dict(state)

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Reinforce(lr={c.lr}, gamma={c.gamma}, baseline={c.baseline}, "
            f"episodes_per_update={c.episodes_per_update}, hidden={list(c.hidden)}, "
            f"shared={c.shared})"
        )


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
