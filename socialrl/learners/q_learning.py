"""Tabular Q-learning (Watkins 1989), batched over a population of agents.

A population of ``n`` Q-learners is one array ``Q[n, S, A]`` (or one shared ``Q[1, S, A]``),
and every step is a few vectorized operations over the batch — no Python loop over agents.
The update is the lecture's Bellman step on the visited cell::

    Q(s, a) ← Q(s, a) + α [r + γ max_a' Q(s', a') − Q(s, a)]

with no bootstrap (``max_a' Q(s', ·) := 0``) when ``s'`` is terminal. A truncated episode
(time limit) still bootstraps: the state was not terminal, time just ran out.

Exploration is ε-greedy with a schedule (:mod:`socialrl.learners.schedules`); ties between
equally good actions are broken uniformly at random so that an untrained table does not always
pick action 0. The per-agent loops are compiled once (:mod:`socialrl.learners.q_learning_kernels`);
the learner draws their random numbers from its own generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.capabilities import InitialValues
from socialrl.learners.base import Checkpointing, rng_state_array, set_rng_state
from socialrl.learners.counterfactual_q import counterfactual_update
from socialrl.learners.legal_choice import epsilon_greedy_among, greedy_among
from socialrl.learners.q_learning_kernels import (
    QKernelView,
    epsilon_greedy,
    greedy_actions,
    q_update,
)
from socialrl.learners.q_tables import as_batch, as_rows, discrete_states, initial_q, table_rows
from socialrl.learners.schedules import Schedule, as_schedule

#: Groups at least this large, with a table per agent, use the multi-core kernels (below it,
#: starting threads costs more than it saves).
PARALLEL_MIN_AGENTS = 4096

#: What an update touches: the played cell, or every action's cell of the visited state.
UPDATES = ("played", "counterfactual")

__all__ = [
    "QKernelView",
    "QLearning",
    "QLearningConfig",
    "bellman_targets",
]


@dataclass(frozen=True, eq=False)
class QLearningConfig:
    """Hyperparameters of tabular Q-learning.

    Attributes:
        alpha: Learning rate α ∈ (0, 1].
        gamma: Discount factor γ ∈ [0, 1].
        epsilon: Exploration probability: a number, a schedule, or a table such as
            ``{"kind": "exponential", "beta": 4e-6}``.
        init: Initial Q values: a number (every cell), ``"zeros"``, an array ``[S, A]``
            (the same for every agent) or ``[n, S, A]`` (one per agent), or ``"model"``: the
            values the model proposes for its agents, ``model.initial_values(role, gamma)``
            (e.g. Calvano et al.'s discounted payoff against uniformly random rivals).
        shared: One table for the whole group (agents pool their experience) instead of one
            table per agent.
        update: ``"played"``: the Bellman update of the visited cell (Watkins; Calvano et
            al.). ``"counterfactual"``: every action of the visited state, from the reward and
            next state each would have brought (Asker, Fershtman & Pakes's synchronous
            learning, :mod:`socialrl.learners.counterfactual_q`); the model must compute them
            (:class:`~socialrl.capabilities.CounterfactualOutcomes`).

    """

    alpha: float = 0.1
    gamma: float = 0.95
    epsilon: Schedule = field(default_factory=lambda: as_schedule(0.1))
    init: float | str | np.ndarray = 0.0
    shared: bool = False
    update: str = "played"

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha (learning rate) must lie in (0, 1], got {self.alpha!r}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma (discount factor) must lie in [0, 1], got {self.gamma!r}")
        object.__setattr__(self, "epsilon", as_schedule(self.epsilon))
        if isinstance(self.init, str) and self.init not in ("zeros", "model"):
            raise ValueError(
                f"init must be a number, 'zeros', 'model' or an array, got {self.init!r}"
            )
        if self.update not in UPDATES:
            raise ValueError(
                f"update must be one of {', '.join(map(repr, UPDATES))}, got {self.update!r}"
            )


def bellman_targets(
    reward: np.ndarray, q_next_max: np.ndarray, terminated: np.ndarray, gamma: float
) -> np.ndarray:
    """``r + γ max_a' Q(s', a')``, without the bootstrap where ``s'`` is terminal.

    The reference form of the target; the compiled :func:`q_update` computes the same per agent.
    """
    return np.where(terminated, reward, reward + gamma * q_next_max)


class QLearning(Checkpointing):
    """A population of tabular Q-learners (see the module docstring).

    Args:
        alpha: Learning rate α ∈ (0, 1].
        gamma: Discount factor γ ∈ [0, 1].
        epsilon: A number, a schedule, or a schedule table (see :func:`as_schedule`).
        init: Initial values (see :class:`QLearningConfig`).
        shared: One table for the whole group.
        update: ``"played"`` or ``"counterfactual"`` (see :class:`QLearningConfig`).

    Observations must be discrete states: integers in ``[0, S)`` from a ``Discrete(S)`` space.

    """

    name = "q_learning"
    learns = True

    def __init__(
        self,
        alpha: float = 0.1,
        gamma: float = 0.95,
        epsilon: float | Schedule | Mapping[str, Any] = 0.1,
        init: float | str | np.ndarray = 0.0,
        shared: bool = False,
        update: str = "played",
    ) -> None:
        # The fields in their order; the config turns ε into a schedule.
        self.config = QLearningConfig(alpha, gamma, epsilon, init, shared, update)  # type: ignore[arg-type]
        self.q = np.zeros((0, 0, 0))
        self.t = 0
        self._rows = np.zeros(0, dtype=np.int64)
        self._rng = np.random.default_rng(0)
        self._all_active = np.ones(0, dtype=np.bool_)
        self._uniforms = np.zeros(0)
        self._td = np.zeros(0)
        self.stable = np.zeros(0, dtype=np.int64)
        self._track_stable = False
        self._parallel = False
        self._bound = False
        self._awaits_model = False

    # ------------------------------------------------------------------ protocol
    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Allocate ``Q[n or 1, S, A]`` from the init option and reset the step count."""
        n_states, n_actions = discrete_states("QLearning", observation_space), int(action_space.n)
        n_tables = 1 if self.config.shared else n_agents
        self.q = initial_q(self.config.init, n_tables, n_states, n_actions)
        self._awaits_model = isinstance(self.config.init, str) and self.config.init == "model"
        self._proposed: tuple[np.ndarray, int, np.ndarray | None] | None = None
        self._rows = table_rows(n_agents, self.config.shared)
        self._all_active = np.ones(n_agents, dtype=np.bool_)
        self._uniforms = np.empty(n_agents)  # act's draws; only the kernel reads them
        self._td = np.full(n_agents, np.nan)
        #: Per agent: consecutive updates that left the greedy action of the visited state as
        #: it was (a policy is "stable for K steps" when this reaches K).
        self.stable = np.zeros(n_agents, dtype=np.int64)
        self._track_stable = False
        self._parallel = not self.config.shared and n_agents >= PARALLEL_MIN_AGENTS
        self._rng = np.random.default_rng(seed)
        self.t = 0
        self._bound = True

    def init_from_model(self, model: Any, role: str, index: np.ndarray | None) -> None:
        """Take initial values from the model (``init="model"``; called by the population).

        Args:
            model: The model the group lives in; it must propose values
                (:class:`~socialrl.capabilities.InitialValues`): an array that broadcasts to
                ``[n_agents of role, S, A]``.
            role: The group's role.
            index: The group's slots in the role (None: all of them).

        """
        if not self._awaits_model:
            return
        n_role = model.roles[role].n_agents
        if not isinstance(model, InitialValues):
            raise TypeError(
                f"QLearning(init='model'): {type(model).__name__} proposes no initial values "
                "(it has no initial_values(role, gamma) method); give init a number or an array"
            )
        proposal = np.asarray(model.initial_values(role, self.config.gamma), dtype=np.float64)
        values = np.broadcast_to(proposal, (n_role, *self.q.shape[1:]))
        mine = values if index is None else values[index]
        self._proposed = (proposal, n_role, index)  # small: broadcast over states
        if self.config.shared:
            if not np.allclose(mine, mine[:1], rtol=1e-12, atol=0.0):  # up to rounding
                raise ValueError(
                    "QLearning(init='model', shared=True): the model proposes different values "
                    "for agents of this group; use one table per agent or a group per seat"
                )
            self.q[0] = mine[0]
        else:
            self.q[:] = mine
        self._awaits_model = False

    @property
    def n_agents(self) -> int:
        """Size of the group the learner is bound to."""
        return int(self._rows.shape[0])

    @property
    def epsilon(self) -> float:
        """ε at the current step."""
        return float(self.config.epsilon(self.t))

    def act(self, obs: np.ndarray) -> np.ndarray:
        """ε-greedy actions (ties at random); advances the schedule by one step."""
        obs = self._check_obs(obs)
        actions = np.empty(obs.shape[0], dtype=np.int64)
        u = self._rng.random(out=self._uniforms)  # the same draws as random(n), no allocation
        epsilon_greedy.pick(self._parallel)(self.q, self._rows, obs, self.epsilon, u, actions)
        self.t += 1
        return actions

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """argmax_a Q(s, a) per agent (ties → lowest action; deterministic)."""
        obs = self._check_obs(obs)
        actions = np.empty(self.n_agents, dtype=np.int64)
        greedy_actions(self.q, self._rows, obs, actions)
        return actions

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """ε-greedy among the legal moves only; advances the schedule by one step."""
        values = self.q[self._rows, self._check_obs(obs)]
        actions = epsilon_greedy_among(values, legal, self.epsilon, self._rng)
        self.t += 1
        return actions

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """The legal move of highest value (ties → lowest)."""
        return greedy_among(self.q[self._rows, self._check_obs(obs)], legal)

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
        """One Bellman update per agent on the visited cell ``(s, a)`` (see the module doc).

        Agents sharing a table update it one after another in slot order.
        """
        n = self._check_ready()
        if self.config.update == "counterfactual":
            raise RuntimeError(
                "QLearning(update='counterfactual') learns from every action's outcome: call "
                "learn_counterfactual (a Population does, with the model's counterfactuals)"
            )
        q_update.pick(self._parallel)(
            self.q,
            self._rows,
            as_batch(obs, np.int64, n, "observations"),
            as_batch(actions, np.int64, n, "actions"),
            as_batch(reward, np.float64, n, "reward"),
            as_batch(next_obs, np.int64, n, "next observations"),
            as_batch(terminated, np.bool_, n, "terminated"),
            self._all_active if mask is None else as_batch(mask, np.bool_, n, "mask"),
            self.config.alpha,
            self.config.gamma,
            self._td,
            self.stable if self._track_stable else _NO_TRACKING,
        )

    def wants_counterfactuals(self) -> bool:
        """Whether this learner updates every action from counterfactual outcomes."""
        return self.config.update == "counterfactual"

    def learn_counterfactual(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """Update every action of each agent's visited state (``update="counterfactual"``).

        Args:
            obs: States ``int64[n]``.
            actions: The actions played, ``int64[n]`` (their TD errors are the diagnostics').
            rewards: What each action would have earned, ``float64[n, A]``.
            next_obs: The state each action would have led to, ``int64[n, A]``.
            terminated: Whether the step ended the episode, ``bool[n]``.
            mask: Agents that moved (None: all).

        """
        n = self._check_ready()
        shape = (n, self.q.shape[2])
        counterfactual_update.pick(self._parallel)(
            self.q,
            self._rows,
            as_batch(obs, np.int64, n, "observations"),
            as_batch(actions, np.int64, n, "actions"),
            as_rows(rewards, np.float64, shape, "counterfactual rewards"),
            as_rows(next_obs, np.int64, shape, "counterfactual next observations"),
            as_batch(terminated, np.bool_, n, "terminated"),
            self._all_active if mask is None else as_batch(mask, np.bool_, n, "mask"),
            self.config.alpha,
            self.config.gamma,
            np.empty(shape),
            self._td,
            self.stable if self._track_stable else _NO_TRACKING,
        )

    def learn_over(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        returns: np.ndarray,
        next_obs: np.ndarray,
        periods: np.ndarray,
        terminated: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """The semi-Markov update of transitions spanning ``periods`` periods.

        ``Q(s,a) += α [R + γ^τ max Q(s′,·) − Q(s,a)]``, where agents move in turn
        (:mod:`socialrl.turns`).

        Args:
            obs: States where the agents moved, ``int64[n]``.
            actions: Their moves, ``int64[n]``.
            returns: ``R = Σ_{j<τ} γ^j r_{t+j}``, ``float64[n]``.
            next_obs: The states of their next decisions, ``int64[n]``.
            periods: ``τ ≥ 1`` per agent, ``int64[n]``.
            terminated: Whether the transition ended the episode (no bootstrap), ``bool[n]``.
            mask: Agents with a transition (None: all).

        """
        if self.config.update == "counterfactual":
            raise RuntimeError("QLearning(update='counterfactual') cannot learn between turns")
        n = self._check_ready()
        active = self._all_active if mask is None else as_batch(mask, np.bool_, n, "mask")
        spans = as_batch(periods, np.int64, n, "periods")
        batch = (
            as_batch(obs, np.int64, n, "observations"),
            as_batch(actions, np.int64, n, "actions"),
            as_batch(returns, np.float64, n, "returns"),
            as_batch(next_obs, np.int64, n, "next observations"),
            as_batch(terminated, np.bool_, n, "terminated"),
        )
        stable = self.stable if self._track_stable else _NO_TRACKING
        td = np.full(n, np.nan)
        # One kernel call per distinct τ (alternating moves: always τ = 2, so one call).
        for tau in np.unique(spans[active]):
            which = active & (spans == tau)
            gamma_tau = self.config.gamma ** int(tau)
            update = q_update.pick(self._parallel)
            update(
                self.q, self._rows, *batch, which, self.config.alpha, gamma_tau, self._td, stable
            )
            td[which] = self._td[which]
        self._td[:] = td

    def discount(self) -> float:
        """The discount factor γ this learner values the future with."""
        return float(self.config.gamma)

    def diagnostics(self) -> dict[str, float]:
        """ε now, the mean absolute TD error of the last update, the least stable agent."""
        td = self._td[~np.isnan(self._td)]
        out = {"epsilon": self.epsilon, "td_error": float(np.abs(td).mean()) if td.size else np.nan}
        if self._track_stable and self.stable.size:
            out["stable_min"] = float(self.stable.min())
        return out

    def stable_steps(self) -> np.ndarray:
        """Consecutive updates without a change of greedy action, per agent.

        Counting starts with the first call (it costs a little per update, so learners only
        count when asked; ``simulate(stop_when_stable=…)`` asks before the first step).
        """
        self._track_stable = True
        return self.stable

    def kernel_view(self) -> QKernelView:
        """The learner's state for compiled code that plays whole periods for it.

        The view holds the learner's own arrays and generator (see :class:`QKernelView`), so
        what the compiled code writes is what the learner knows; take a fresh view for every
        call (loading a checkpoint replaces the arrays).
        """
        c = self.config
        return QKernelView(
            q=self.q,
            rows=self._rows,
            td=self._td,
            stable=self.stable,
            tracking=self._track_stable,
            rng=self._rng,
            alpha=c.alpha,
            gamma=c.gamma,
            epsilon=c.epsilon,
            shared=c.shared,
            t=self.t,
        )

    # ------------------------------------------------------------------ inspection
    def q_values(self) -> np.ndarray:
        """The Q tables ``float64[tables, S, A]`` (the learner's own array, not a copy)."""
        return self.q

    def table_of(self, agent: int) -> int:
        """The table agent ``agent`` of the group uses (0 for every agent when shared)."""
        return int(self._rows[agent])

    def initial_q_values(self) -> np.ndarray:
        """The tables before any update (rebuilt from the init option or the model's proposal)."""
        n_tables, n_states, n_actions = self.q.shape
        if self._proposed is None:
            init = 0.0 if isinstance(self.config.init, str) else self.config.init
            return initial_q(init, n_tables, n_states, n_actions)
        values, n_role, index = self._proposed
        full = np.broadcast_to(values, (n_role, n_states, n_actions))
        mine = full if index is None else full[index]
        return np.array(mine[:1] if self.config.shared else mine)

    def greedy_table(self) -> np.ndarray:
        """Greedy action for every state, ``int64[n_tables, S]`` (the learned policy)."""
        return self.q.argmax(axis=2)

    def values(self) -> np.ndarray:
        """``max_a Q(s, a)`` for every state, ``float64[n_tables, S]``."""
        return self.q.max(axis=2)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, np.ndarray]:
        """Q, step count, stability counts and generator state (continuing from it is exact)."""
        return {
            "q": self.q.copy(),
            "t": np.array(self.t),
            "stable": self.stable.copy(),
            "stable_tracking": np.array(self._track_stable),
            "rng": rng_state_array(self._rng),
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state dict; the shapes must match the bound group."""
        q = np.asarray(state["q"])
        if q.shape != self.q.shape:
            raise ValueError(
                f"checkpoint Q has shape {q.shape}, but this learner is bound to {self.q.shape}"
            )
        self.q = q.astype(np.float64, copy=True)
        self.t = int(state["t"])
        self.stable = np.asarray(state["stable"], dtype=np.int64).copy()
        self._track_stable = bool(state.get("stable_tracking", True))
        self._awaits_model = False
        set_rng_state(self._rng, state["rng"])

    # ------------------------------------------------------------------ helpers
    def _check_ready(self) -> int:
        """The group size, once the learner is bound and initialised."""
        if self._awaits_model or not self._bound:
            if not self._bound:
                raise RuntimeError("QLearning must be bound to a group (bind) before it acts")
            raise RuntimeError(
                "QLearning(init='model') takes its initial values from the model when a "
                "Population binds it; bind it through a Population (simulate does)"
            )
        return int(self._rows.shape[0])

    def _check_obs(self, obs: np.ndarray) -> np.ndarray:
        return as_batch(obs, np.int64, self._check_ready(), "observations")

    def __repr__(self) -> str:
        c = self.config
        return (
            f"QLearning(alpha={c.alpha}, gamma={c.gamma}, epsilon={c.epsilon}, shared={c.shared}"
            + ("" if c.update == "played" else f", update={c.update!r}")
            + ")"
        )


_NO_TRACKING = np.zeros(0, dtype=np.int64)
