"""Tabular Dyna-Q (Sutton 1991; Sutton & Barto 2018, §8.2), batched over a population of agents.

Dyna-Q is Q-learning plus a learned model of the environment that is replayed in the mind.
Each real step, every agent

(a) makes the direct Q-learning update on the transition it just lived,
    ``Q(s, a) ← Q(s, a) + α [r + γ max_a' Q(s', a') − Q(s, a)]``;
(b) learns its model: ``Model(s, a) ← (r, s', terminated)``, the *last* outcome observed for
    ``(s, a)`` — the book's deterministic model — and counts the visit;
(c) plans: ``n`` times, it picks an ``(s, a)`` it has observed, uniformly among its observed
    pairs, asks the model for ``(r, s', terminated)``, and makes the same Q-learning update.

With ``planning_steps = 0`` it is exactly :class:`~socialrl.learners.q_learning.QLearning` (same
seed, same tables). In Sutton & Barto's Dyna maze (Example 8.1, Figure 8.2) ``n = 50`` finds a
short path within about three episodes where ``n = 0`` needs some twenty-five.

Batching: ``Q[K, S, A]`` and the model hold one table per agent (``K = n``) or one for the
group (``shared=True``, ``K = 1``). Each table's model is a preallocated list of records, one per
observed pair in the order first seen (:class:`~socialrl.learners.dyna_q_kernels.DynaModel`).
A uniform draw ``u`` picks record ``⌊u · n_observed[k]⌋``: a pair observed so far, each equally
likely, in constant time. The direct update is the Q-learning kernel of
:mod:`socialrl.learners.q_learning_kernels`; model learning and planning for all agents × ``n``
are one compiled loop (:mod:`socialrl.learners.dyna_q_kernels`) fed with uniforms from the
learner's own generator. With a shared table the phases run for the whole group in slot
order: all direct updates, then all model updates, then ``n`` planning updates per agent (so
the group makes ``n_agents × n`` planning updates per step).

Stability (``stable_steps``, used by ``simulate(stop_when_stable=…)``) counts an agent's
consecutive steps in which neither its direct update nor any of its planning updates changed a
greedy action.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from socialrl.learners.base import Checkpointing, rng_state_array, set_rng_state
from socialrl.learners.batches import Transitions
from socialrl.learners.dyna_q_kernels import (
    NEXT_STATE,
    PAIR,
    REWARD,
    TERMINATED,
    DynaModel,
    dyna_model_and_plan,
    empty_model,
)
from socialrl.learners.q_learning import PARALLEL_MIN_AGENTS, QLearning, QLearningConfig
from socialrl.learners.q_tables import as_batch, discrete_states, table_rows
from socialrl.learners.schedules import Schedule

__all__ = ["DynaQ", "DynaQConfig"]

#: ``spawn_key`` suffix of the planning generator's seed: a child of the bind seed that is
#: derived, not spawned, so binding twice with one ``SeedSequence`` gives the same streams.
_PLANNING_STREAM = 0x44594E41  # "DYNA"


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


@dataclass(frozen=True, eq=False)
class DynaQConfig(QLearningConfig):
    """Hyperparameters of Dyna-Q: those of Q-learning (:class:`QLearningConfig`) and one more.

    Attributes:
        planning_steps: Planning updates ``n`` per agent and real step (0: plain Q-learning).
            With ``shared=True`` the table and the model are the group's: agents pool their
            experience, and each of them plans ``n`` times per step.

    """

    planning_steps: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "planning_steps", _check_planning_steps(self.planning_steps))
        super().__post_init__()


class DynaQ(Checkpointing):
    """A population of tabular Dyna-Q learners (see the module docstring).

    The keyword arguments are the fields of :class:`DynaQConfig` (documented there and in
    :class:`~socialrl.learners.q_learning.QLearningConfig`), kept in ``learner.config``.
    Observations must be discrete states: integers in ``[0, S)`` from a ``Discrete(S)`` space.

    Attributes:
        core: The Q-learning core: Q tables, ε-greedy acting, the direct update, step count.
        model: The learned models (:class:`~socialrl.learners.dyna_q_kernels.DynaModel`);
            read them through :meth:`learned_model`.

    """

    name = "dyna_q"
    learns = True

    def __init__(
        self,
        alpha: float = 0.1,
        gamma: float = 0.95,
        epsilon: float | Schedule | Mapping[str, Any] = 0.1,
        init: float | str | np.ndarray = 0.0,
        planning_steps: int = 5,
        shared: bool = False,
    ) -> None:
        self.config = DynaQConfig(
            alpha=alpha,
            gamma=gamma,
            epsilon=epsilon,  # type: ignore[arg-type]
            init=init,
            shared=shared,
            planning_steps=planning_steps,
        )
        c = self.config
        self.core = QLearning(
            alpha=c.alpha, gamma=c.gamma, epsilon=c.epsilon, init=c.init, shared=c.shared
        )
        self.model = empty_model(0, 0, 0)
        self._rows = np.zeros(0, dtype=np.int64)
        self._rng = np.random.default_rng(0)
        self._all_active = np.ones(0, dtype=np.bool_)
        self._no_truncation = np.zeros(0, dtype=np.bool_)
        self._u = np.zeros(0)
        self._planning_td = np.zeros(0)
        self._parallel = False
        self._bound = False

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
        discrete_states("DynaQ", observation_space)
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
        self.model = empty_model(*self.core.q.shape)
        shared = self.config.shared
        self._rows = table_rows(n_agents, shared)
        self._all_active = np.ones(n_agents, dtype=np.bool_)
        self._no_truncation = np.zeros(n_agents, dtype=np.bool_)
        self._u = np.zeros(n_agents * self.config.planning_steps)
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
        step = self._typed_step(obs, actions, reward, next_obs, terminated, mask)
        self.core.learn(*step[:5], truncated, step.valid)
        if self.config.planning_steps:
            self._rng.random(out=self._u)
        dyna_model_and_plan.pick(self._parallel)(
            self.core.q,
            self._rows,
            *step,
            *self.model,
            self._u,
            self.config.planning_steps,
            self.config.alpha,
            self.config.gamma,
            self.core.stable,
            self._planning_td,
        )

    def discount(self) -> float:
        """The discount factor γ this learner values the future with."""
        return float(self.config.gamma)

    def diagnostics(self) -> dict[str, float]:
        """ε, TD errors, planning updates in the last step, observed pairs per table.

        ``td_error`` is the mean |TD| of the last direct updates, ``planning_td_error`` that of
        the last planning updates, ``planning_updates`` how many planning updates the group made
        in its last step, ``observed_pairs`` the mean number of observed ``(s, a)`` per table.
        """
        out = self.core.diagnostics()
        done = ~np.isnan(self._planning_td)
        updates = int(done.sum()) * self.config.planning_steps
        out["planning_updates"] = float(updates)
        out["planning_td_error"] = (
            float(self._planning_td[done].sum() / updates) if updates else np.nan
        )
        observed = self.model.n_observed
        out["observed_pairs"] = float(observed.mean()) if observed.size else np.nan
        return out

    def stable_steps(self) -> np.ndarray:
        """Consecutive steps without a change of greedy action, per agent (see module doc)."""
        return self.core.stable_steps()

    # ------------------------------------------------------------------ inspection
    def q_values(self) -> np.ndarray:
        """The Q tables ``float64[K, S, A]`` (the learner's own array)."""
        return self.core.q_values()

    def initial_q_values(self) -> np.ndarray:
        """The Q tables before any update (see :class:`~socialrl.capabilities.TabularValues`)."""
        return self.core.initial_q_values()

    def table_of(self, agent: int) -> int:
        """Index ``k`` of the Q table and model that ``agent`` (a slot of the group) uses."""
        if not 0 <= agent < self.n_agents:
            raise IndexError(f"agent must lie in [0, {self.n_agents}), got {agent!r}")
        return int(self._rows[agent])

    def greedy_table(self) -> np.ndarray:
        """Greedy action for every state, ``int64[K, S]`` (the learned policy)."""
        return self.core.greedy_table()

    def values(self) -> np.ndarray:
        """``max_a Q(s, a)`` for every state, ``float64[K, S]``."""
        return self.core.values()

    def observed_pairs(self, agent: int = 0) -> np.ndarray:
        """The ``(s, a)`` pairs an agent's model holds, ``int64[m, 2]``, in the order first seen.

        Planning draws uniformly from these rows.
        """
        k = self.table_of(agent)
        pair = self.model.records[k, : self.model.n_observed[k], PAIR].astype(np.int64)
        n_actions = self.q.shape[2]
        return np.stack([pair // n_actions, pair % n_actions], axis=1)

    def learned_model(self, agent: int = 0) -> pd.DataFrame:
        """An agent's learned model as a table, one row per observed ``(s, a)``.

        Columns: ``state``, ``action``, ``next_state``, ``reward``, ``terminated`` (the last
        outcome observed) and ``visits`` (real experiences of the pair); rows sorted by state,
        then action. With ``shared=True`` every agent reads the group's model.
        """
        k = self.table_of(agent)
        states, actions = np.nonzero(self.model.slot[k] >= 0)
        rec = self.model.records[k, self.model.slot[k, states, actions]]
        return pd.DataFrame(
            {
                "state": states.astype(np.int64),
                "action": actions.astype(np.int64),
                "next_state": rec[:, NEXT_STATE].astype(np.int64),
                "reward": rec[:, REWARD],
                "terminated": rec[:, TERMINATED] != 0.0,
                "visits": self.model.visits[k, states, actions],
            }
        )

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, np.ndarray]:
        """Q, step count, stability, the model, counts and both generators' states."""
        state = self.core.state_dict()
        for key, array in self.model._asdict().items():
            state[f"model_{key}"] = array.copy()
        state["planning_rng"] = rng_state_array(self._rng)
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state dict; the shapes must match the bound group."""
        for key, have in self.model._asdict().items():
            arr = np.asarray(state[f"model_{key}"])
            if arr.shape != have.shape:
                raise ValueError(
                    f"checkpoint model_{key} has shape {arr.shape}, but this learner is bound "
                    f"to {have.shape}"
                )
        self.core.load_state_dict(state)
        self.model = DynaModel(
            *(
                np.array(state[f"model_{key}"], dtype=have.dtype, copy=True)
                for key, have in self.model._asdict().items()
            )
        )
        set_rng_state(self._rng, state["planning_rng"])

    # ------------------------------------------------------------------ helpers
    def _check_bound(self) -> int:
        if not self._bound:
            raise RuntimeError("DynaQ must be bound to a group (bind) before it acts or learns")
        return self.n_agents

    def _typed_step(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        mask: np.ndarray | None,
    ) -> Transitions:
        """The step as the kernels' typed batch (checked shapes, fixed dtypes)."""
        n = self._check_bound()
        return Transitions(
            obs=as_batch(obs, np.int64, n, "observations"),
            actions=as_batch(actions, np.int64, n, "actions"),
            reward=as_batch(reward, np.float64, n, "reward"),
            next_obs=as_batch(next_obs, np.int64, n, "next observations"),
            terminated=as_batch(terminated, np.bool_, n, "terminated"),
            truncated=self._no_truncation,  # the model ignores time limits
            valid=self._all_active if mask is None else as_batch(mask, np.bool_, n, "mask"),
        )

    def __repr__(self) -> str:
        c = self.config
        return (
            f"DynaQ(alpha={c.alpha}, gamma={c.gamma}, epsilon={c.epsilon}, "
            f"planning_steps={c.planning_steps}, shared={c.shared})"
        )
