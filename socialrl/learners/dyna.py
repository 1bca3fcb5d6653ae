"""Tabular Dyna-Q (Sutton 1991; Sutton & Barto 2018, §8.2), batched over a population of agents.

Dyna-Q is Q-learning plus a learned model of the environment that is replayed in the mind.
Each real step, every agent

(a) makes the direct Q-learning update on the transition it just lived,
    ``Q(s, a) ← Q(s, a) + α [r + γ max_a' Q(s', a') − Q(s, a)]``;
(b) learns its model: ``Model(s, a) ← (r, s', terminated)``, the *last* outcome observed for
    ``(s, a)`` — the book's deterministic model — and counts the visit;
(c) plans: ``n`` times, it picks an ``(s, a)`` it has observed, uniformly among its observed
    pairs, asks the model for ``(r, s', terminated)``, and makes the same Q-learning update.

With ``planning_steps = 0`` it is exactly :class:`~socialrl.learners.tabular.QLearning` (same
seed, same tables). In Sutton & Barto's Dyna maze (Example 8.1, Figure 8.2) ``n = 50`` finds a
short path within about three episodes where ``n = 0`` needs some twenty-five.

Batching: ``Q[K, S, A]`` and the model hold one table per agent (``K = n``) or one for the
group (``shared=True``, ``K = 1``). Each table's model is a preallocated list of records, one per
observed pair in the order first seen — ``model_records[k, j] = (s·A + a, s', r, terminated)``
for ``j < n_observed[k]`` — plus ``model_slot[k, s, a]`` (where the pair's record is) and
``model_visits[k, s, a]``. A uniform draw ``u`` picks record ``⌊u · n_observed[k]⌋``: a pair
observed so far, each equally likely, in constant time. The direct update is the Q-learning
kernel of :mod:`socialrl.learners.tabular_kernels`; model learning and planning for all agents
× ``n`` are one compiled loop (:func:`dyna_model_and_plan`) fed with uniforms from the learner's
own generator. With a shared table the phases run for the whole group in slot order: all direct
updates, then all model updates, then ``n`` planning updates per agent (so the group makes
``n_agents × n`` planning updates per step).

Stability (``stable_steps``, used by ``simulate(stop_when_stable=…)``) counts an agent's
consecutive steps in which neither its direct update nor any of its planning updates changed a
greedy action.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
from numba import njit, prange

from socialrl.learners.base import (
    Checkpointing,
    rng_state_array,
    set_rng_state,
)
from socialrl.learners.schedules import Schedule
from socialrl.learners.tabular import PARALLEL_MIN_AGENTS, QLearning, QLearningConfig, _as
from socialrl.learners.tabular_kernels import _td_update, batch_loop

__all__ = [
    "NEXT_STATE",
    "PAIR",
    "REWARD",
    "TERMINATED",
    "DynaQ",
    "dyna_model_and_plan",
    "dyna_model_and_plan_parallel",
]

#: ``spawn_key`` suffix of the planning generator's seed: a child of the bind seed that is
#: derived, not spawned, so binding twice with one ``SeedSequence`` gives the same streams.
_PLANNING_STREAM = 0x44594E41  # "DYNA"

#: Columns of a model record (see :class:`DynaQ`): the pair ``s·A + a``, then what it led to.
PAIR, NEXT_STATE, REWARD, TERMINATED = range(4)

#: The model's arrays in the state dict, with their dtypes.
_MODEL_ARRAYS: dict[str, type] = {
    "model_records": np.float64,
    "model_slot": np.int64,
    "model_visits": np.int64,
    "n_observed": np.int64,
}


# ---------------------------------------------------------------------- compiled kernels
@njit(cache=True, nogil=True, inline="always")
def _observe(
    tables: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    records: np.ndarray,
    slot: np.ndarray,
    visits: np.ndarray,
    n_observed: np.ndarray,
    i: int,
) -> None:  # pragma: no cover - compiled
    """Model learning for agent ``i``: ``Model(s, a) ← (r, s', terminated)``, count the visit.

    A pair seen for the first time gets the next free record of its table.
    """
    k, s, a = tables[i], states[i], actions[i]
    j = slot[k, s, a]
    if j < 0:
        j = n_observed[k]
        n_observed[k] = j + 1
        slot[k, s, a] = j
        records[k, j, PAIR] = s * slot.shape[2] + a
    visits[k, s, a] += 1
    records[k, j, NEXT_STATE] = next_states[i]
    records[k, j, REWARD] = rewards[i]
    records[k, j, TERMINATED] = 1.0 if terminated[i] else 0.0


@njit(cache=True, nogil=True, inline="always")
def _greedy_changed(q: np.ndarray, k: int, s: int, a: int, old: float) -> bool:  # pragma: no cover
    """Whether ``q[k, s, a]`` moving away from ``old`` changed the greedy action of ``s``.

    The greedy action is the first maximum. Only ``a``'s value moved, so the greedy action
    changed exactly when ``a`` was the first maximum before and is not now, or the reverse;
    one pass over the other actions decides both (no argmax before and after).
    """
    new = q[k, s, a]
    if new == old:
        return False
    was = True
    now = True
    for b in range(q.shape[2]):
        if b == a:
            continue
        v = q[k, s, b]
        if b < a:
            was = was and old > v
            now = now and new > v
        else:
            was = was and old >= v
            now = now and new >= v
    return was != now


@njit(cache=True, nogil=True, inline="always")
def _plan(
    q: np.ndarray,
    tables: np.ndarray,
    records: np.ndarray,
    n_observed: np.ndarray,
    u: np.ndarray,
    n_planning: int,
    alpha: float,
    gamma: float,
    stable: np.ndarray,
    planning_td: np.ndarray,
    i: int,
) -> None:  # pragma: no cover - compiled
    """Agent ``i``'s ``n_planning`` simulated Q-learning updates from its model."""
    k = tables[i]
    m = n_observed[k]
    n_actions = q.shape[2]
    total = 0.0
    changed = False
    for j in range(n_planning):
        rec = min(int(u[i * n_planning + j] * m), m - 1)
        pair = int(records[k, rec, PAIR])
        s = pair // n_actions
        a = pair - s * n_actions
        old = q[k, s, a]
        td = _td_update(
            q,
            k,
            s,
            a,
            records[k, rec, REWARD],
            int(records[k, rec, NEXT_STATE]),
            records[k, rec, TERMINATED] != 0.0,
            alpha,
            gamma,
        )
        total += abs(td)
        if not changed and _greedy_changed(q, k, s, a, old):
            changed = True
    planning_td[i] = total
    if changed:
        stable[i] = 0


@batch_loop()
def dyna_model_and_plan(
    q: np.ndarray,
    tables: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    active: np.ndarray,
    records: np.ndarray,
    slot: np.ndarray,
    visits: np.ndarray,
    n_observed: np.ndarray,
    u: np.ndarray,
    n_planning: int,
    alpha: float,
    gamma: float,
    stable: np.ndarray,
    planning_td: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Steps (b) and (c) of Dyna-Q for every active agent, after the direct updates.

    First every active agent's transition ``(states[i], actions[i]) → (rewards[i],
    next_states[i], terminated[i])`` is written into its table's model (slot order), then each
    active agent makes ``n_planning`` updates of ``Q[tables[i]]``: update ``j`` replays record
    ``⌊u[i·n + j] · n_observed[k]⌋`` of table ``k``, one of the pairs observed so far, each
    equally likely. The sum of each agent's planning |TD| errors goes to ``planning_td[i]``
    (NaN for inactive agents); an update that changes the greedy action of its state sets
    ``stable[i]`` to 0.
    """
    for i in range(states.shape[0]):
        if active[i]:
            _observe(
                tables,
                states,
                actions,
                rewards,
                next_states,
                terminated,
                records,
                slot,
                visits,
                n_observed,
                i,
            )
    for i in range(states.shape[0]):
        if not active[i]:
            planning_td[i] = np.nan
            continue
        _plan(q, tables, records, n_observed, u, n_planning, alpha, gamma, stable, planning_td, i)


@batch_loop(parallel=True)
def dyna_model_and_plan_parallel(
    q: np.ndarray,
    tables: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    active: np.ndarray,
    records: np.ndarray,
    slot: np.ndarray,
    visits: np.ndarray,
    n_observed: np.ndarray,
    u: np.ndarray,
    n_planning: int,
    alpha: float,
    gamma: float,
    stable: np.ndarray,
    planning_td: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """:func:`dyna_model_and_plan` on all cores — only for agents with a table each.

    Each agent touches only its own table and model, so the result is the same.
    """
    for i in prange(states.shape[0]):
        if not active[i]:
            planning_td[i] = np.nan
            continue
        _observe(
            tables,
            states,
            actions,
            rewards,
            next_states,
            terminated,
            records,
            slot,
            visits,
            n_observed,
            i,
        )
        _plan(q, tables, records, n_observed, u, n_planning, alpha, gamma, stable, planning_td, i)


# ---------------------------------------------------------------------- the learner
def _check_planning_steps(value: Any) -> int:
    """``planning_steps`` as an int ≥ 0, or a ValueError that names it."""
    number = isinstance(value, int | float | np.integer | np.floating)
    if (
        isinstance(value, bool)
        or not number
        or not math.isfinite(value)
        or int(value) != value
        or value < 0
    ):
        raise ValueError(f"planning_steps must be an integer ≥ 0, got {value!r}")
    return int(value)


class DynaQ(Checkpointing):
    """A population of tabular Dyna-Q learners (see the module docstring).

    Args:
        alpha: Learning rate α ∈ (0, 1], for direct and planning updates alike.
        gamma: Discount factor γ ∈ [0, 1].
        epsilon: A number, a schedule, or a schedule table (see
            :func:`~socialrl.learners.schedules.as_schedule`).
        init: Initial Q values (see :class:`~socialrl.learners.tabular.QLearningConfig`).
        planning_steps: Planning updates ``n`` per agent and real step (0: plain Q-learning).
        shared: One Q table and one model for the whole group (agents pool their experience).

    Observations must be discrete states: integers in ``[0, S)`` from a ``Discrete(S)`` space.

    Attributes:
        model_records: ``float64[K, S·A, 4]``, the learned model as one record per observed
            pair, in the order first seen: its first ``n_observed[k]`` rows hold table ``k``'s
            ``(s·A + a, s', r, terminated)`` (columns :data:`PAIR`, :data:`NEXT_STATE`,
            :data:`REWARD`, :data:`TERMINATED`; integers and flags stored exactly as floats).
            Planning samples its rows: a sample reads one 32-byte record (one memory access,
            not three arrays), which matters once a population's tables outgrow the caches.
            Read it through :meth:`learned_model` or the ``model_*`` properties.
        model_slot: ``int64[K, S, A]``, the record of ``(s, a)`` (−1: never observed).
        model_visits: ``int64[K, S, A]``, how often ``(s, a)`` was experienced (real steps).
        n_observed: ``int64[K]``, the number of observed pairs per table.

    """

    name = "dyna_q"

    def __init__(
        self,
        alpha: float = 0.1,
        gamma: float = 0.95,
        epsilon: float | Schedule | Mapping[str, Any] = 0.1,
        init: float | str | np.ndarray = 0.0,
        planning_steps: int = 5,
        shared: bool = False,
    ) -> None:
        self.planning_steps = _check_planning_steps(planning_steps)
        #: The Q-learning core: Q table, ε-greedy acting, the direct update, step count.
        self.core = QLearning(alpha=alpha, gamma=gamma, epsilon=epsilon, init=init, shared=shared)
        self._rows = np.zeros(0, dtype=np.int64)
        self._rng = np.random.default_rng(0)
        self._all_active = np.ones(0, dtype=np.bool_)
        self._u = np.zeros(0)
        self._planning_td = np.zeros(0)
        self._parallel = False
        self._bound = False
        self._allocate_model(0, 0, 0)

    @property
    def config(self) -> QLearningConfig:
        """The Q-learning hyperparameters (α, γ, ε, init, shared)."""
        return self.core.config

    @property
    def q(self) -> np.ndarray:
        """``Q[K, S, A]`` (``K`` = agents, or 1 when shared)."""
        return self.core.q

    @property
    def t(self) -> int:
        """Steps acted so far (the ε schedule's clock)."""
        return self.core.t

    @property
    def n_agents(self) -> int:
        """Size of the group the learner is bound to."""
        return int(self._rows.shape[0])

    @property
    def epsilon(self) -> float:
        """ε at the current step."""
        return self.core.epsilon

    # ------------------------------------------------------------------ protocol
    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Allocate Q and an empty model for ``n_agents`` agents (or one shared); reset all."""
        if not isinstance(observation_space, gym.spaces.Discrete):
            raise TypeError(
                "DynaQ needs discrete observations (a Discrete(S) space of state indices); "
                f"got {observation_space}"
            )
        # The core draws exploration from `seed` itself (as a QLearning would); planning draws
        # from a derived child, so planning_steps=0 reproduces Q-learning exactly.
        self.core.bind(n_agents, observation_space, action_space, seed)
        self._rng = np.random.default_rng(
            np.random.SeedSequence(
                seed.entropy,
                spawn_key=(*seed.spawn_key, _PLANNING_STREAM),
                pool_size=seed.pool_size,
            )
        )
        self._allocate_model(*self.core.q.shape)
        shared = self.config.shared
        self._rows = (
            np.zeros(n_agents, dtype=np.int64) if shared else np.arange(n_agents, dtype=np.int64)
        )
        self._all_active = np.ones(n_agents, dtype=np.bool_)
        self._u = np.zeros(n_agents * self.planning_steps)
        self._planning_td = np.full(n_agents, np.nan)
        self._parallel = not shared and n_agents >= PARALLEL_MIN_AGENTS
        self._bound = True

    def act(self, obs: np.ndarray) -> np.ndarray:
        """ε-greedy actions (ties at random); advances the schedule by one step."""
        self._check_bound()
        return self.core.act(obs)

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """argmax_a Q(s, a) per agent (ties → lowest action; deterministic)."""
        self._check_bound()
        return self.core.greedy(obs)

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
        """Direct update, model learning and ``planning_steps`` planning updates per agent.

        Args:
            obs: What each agent saw, ``[n]``.
            actions: What each did, ``[n]``.
            reward: What each got, ``[n]``.
            next_obs: Where each transition led, before any autoreset.
            terminated: The transition entered a terminal state (no bootstrap, in the direct
                update and whenever the model replays it).
            truncated: Time-limit ends (bootstrapped as usual; the model ignores them).
            mask: Agents that actually moved; the others neither learn, model nor plan.

        """
        n = self._check_bound()
        obs = _as(obs, np.int64, n, "observations")
        actions = _as(actions, np.int64, n, "actions")
        reward = _as(reward, np.float64, n, "reward")
        next_obs = _as(next_obs, np.int64, n, "next observations")
        terminated = _as(terminated, np.bool_, n, "terminated")
        active = self._all_active if mask is None else _as(mask, np.bool_, n, "mask")
        self.core.learn(obs, actions, reward, next_obs, terminated, truncated, active)
        if self.planning_steps:
            self._rng.random(out=self._u)
        kernel = dyna_model_and_plan_parallel if self._parallel else dyna_model_and_plan
        kernel(
            self.core.q,
            self._rows,
            obs,
            actions,
            reward,
            next_obs,
            terminated,
            active,
            self.model_records,
            self.model_slot,
            self.model_visits,
            self.n_observed,
            self._u,
            self.planning_steps,
            self.config.alpha,
            self.config.gamma,
            self.core.stable,
            self._planning_td,
        )

    def diagnostics(self) -> dict[str, float]:
        """ε, TD errors, planning updates in the last step, observed pairs per table.

        ``td_error`` is the mean |TD| of the last direct updates, ``planning_td_error`` that of
        the last planning updates, ``planning_updates`` how many planning updates the group made
        in its last step, ``observed_pairs`` the mean number of observed ``(s, a)`` per table.
        """
        out = self.core.diagnostics()
        done = ~np.isnan(self._planning_td)
        updates = int(done.sum()) * self.planning_steps
        out["planning_updates"] = float(updates)
        out["planning_td_error"] = (
            float(self._planning_td[done].sum() / updates) if updates else np.nan
        )
        out["observed_pairs"] = float(self.n_observed.mean()) if self.n_observed.size else np.nan
        return out

    def stable_steps(self) -> np.ndarray:
        """Consecutive steps without a change of greedy action, per agent (see module doc)."""
        return self.core.stable_steps()

    # ------------------------------------------------------------------ inspection
    def greedy_table(self) -> np.ndarray:
        """Greedy action for every state, ``int64[K, S]`` (the learned policy)."""
        return self.core.greedy_table()

    def values(self) -> np.ndarray:
        """``max_a Q(s, a)`` for every state, ``float64[K, S]``."""
        return self.core.values()

    def table_of(self, agent: int) -> int:
        """Index ``k`` of the Q table and model that ``agent`` (a slot of the group) uses."""
        if not 0 <= agent < self.n_agents:
            raise IndexError(f"agent must lie in [0, {self.n_agents}), got {agent!r}")
        return int(self._rows[agent])

    def observed_pairs(self, agent: int = 0) -> np.ndarray:
        """The ``(s, a)`` pairs an agent's model holds, ``int64[m, 2]``, in the order first seen.

        Planning draws uniformly from these rows.
        """
        k = self.table_of(agent)
        pair = self.model_records[k, : self.n_observed[k], PAIR].astype(np.int64)
        n_actions = self.q.shape[2]
        return np.stack([pair // n_actions, pair % n_actions], axis=1)

    def learned_model(self, agent: int = 0) -> pd.DataFrame:
        """An agent's learned model as a table, one row per observed ``(s, a)``.

        Columns: ``state``, ``action``, ``next_state``, ``reward``, ``terminated`` (the last
        outcome observed) and ``visits`` (real experiences of the pair); rows sorted by state,
        then action. With ``shared=True`` every agent reads the group's model.
        """
        k = self.table_of(agent)
        states, actions = np.nonzero(self.model_slot[k] >= 0)
        rec = self.model_records[k, self.model_slot[k, states, actions]]
        return pd.DataFrame(
            {
                "state": states.astype(np.int64),
                "action": actions.astype(np.int64),
                "next_state": rec[:, NEXT_STATE].astype(np.int64),
                "reward": rec[:, REWARD],
                "terminated": rec[:, TERMINATED] != 0.0,
                "visits": self.model_visits[k, states, actions],
            }
        )

    @property
    def model_next_state(self) -> np.ndarray:
        """``int64[K, S, A]``: the last ``s'`` observed after ``(s, a)`` (−1: never observed)."""
        out = np.full(self.model_slot.shape, -1, dtype=np.int64)
        seen = self.model_slot >= 0
        out[seen] = self._record_field(NEXT_STATE)[seen]
        return out

    @property
    def model_reward(self) -> np.ndarray:
        """``float64[K, S, A]``: the last reward observed for ``(s, a)`` (0: never observed)."""
        return np.where(self.model_slot >= 0, self._record_field(REWARD), 0.0)

    @property
    def model_terminated(self) -> np.ndarray:
        """``bool[K, S, A]``: the last transition from ``(s, a)`` ended the episode."""
        return (self.model_slot >= 0) & (self._record_field(TERMINATED) != 0.0)

    def _record_field(self, column: int) -> np.ndarray:
        """Column ``column`` of every pair's record, ``[K, S, A]`` (garbage where unobserved)."""
        k = np.arange(self.model_slot.shape[0])[:, None, None]
        return self.model_records[k, np.maximum(self.model_slot, 0), column]

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, np.ndarray]:
        """Q, step count, stability, the model, counts and both generators' states."""
        state = self.core.state_dict()
        for key in _MODEL_ARRAYS:
            state[key] = getattr(self, key).copy()
        state["planning_rng"] = rng_state_array(self._rng)
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state dict; the shapes must match the bound group."""
        for key in _MODEL_ARRAYS:
            have = getattr(self, key)
            arr = np.asarray(state[key])
            if arr.shape != have.shape:
                raise ValueError(
                    f"checkpoint {key} has shape {arr.shape}, but this learner is bound to "
                    f"{have.shape}"
                )
        self.core.load_state_dict(state)
        for key, dtype in _MODEL_ARRAYS.items():
            setattr(self, key, np.array(state[key], dtype=dtype, copy=True))
        set_rng_state(self._rng, state["planning_rng"])

    # ------------------------------------------------------------------ helpers
    def _check_bound(self) -> int:
        if not self._bound:
            raise RuntimeError("DynaQ must be bound to a group (bind) before it acts or learns")
        return self.n_agents

    def _allocate_model(self, n_tables: int, n_states: int, n_actions: int) -> None:
        self.model_records = np.zeros((n_tables, n_states * n_actions, 4))
        self.model_slot = np.full((n_tables, n_states, n_actions), -1, dtype=np.int64)
        self.model_visits = np.zeros((n_tables, n_states, n_actions), dtype=np.int64)
        self.n_observed = np.zeros(n_tables, dtype=np.int64)

    def __repr__(self) -> str:
        c = self.config
        return (
            f"DynaQ(alpha={c.alpha}, gamma={c.gamma}, epsilon={c.epsilon}, "
            f"planning_steps={self.planning_steps}, shared={c.shared})"
        )
