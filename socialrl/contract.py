"""The model → environment contract.

A socialrl model is an ordinary :class:`mesa.Model` that also declares **roles**: groups of its
agents that share an observation space and an action space (walkers in a maze, firms in a
market, players in a game). Everything crosses the contract as a **batch** per role:
observations ``[n_agents, ...]``, actions ``[n_agents]``, rewards and flags ``[n_agents]``.

Why batches? Per-step state lives in arrays (struct of arrays) so that one step of 10,000 agents
is a handful of vectorized operations, not 10,000 Python calls. The Mesa agents still exist for
identity, space, networks and visualization; their per-step attributes are views of the arrays.

The cycle that every adapter (:mod:`socialrl.envs`) drives is::

    obs = model.observe(role)            # [n, ...]
    model.set_actions(role, actions)     # [n]   (validated by the adapter)
    model.step()                         # Mesa's own step, no arguments
    out = model.outcome(role)            # RoleStep: obs, reward, terminated, truncated, next_obs

Episodes: a model ends agents' episodes individually. With ``autoreset=True`` (the default) a
finished agent restarts inside the same ``step()`` — Gymnasium's *same-step* autoreset: the
returned ``obs`` is already the first observation of the new episode, and ``next_obs`` holds the
observation the finished transition led to (what a learner bootstraps from). With
``autoreset=False`` (PettingZoo's convention) a finished agent stays finished: ``active`` turns
False and its later actions are ignored, with zero reward and no flags.

Time limits are truncation, never termination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np
from numba import njit

__all__ = [
    "MultiAgentModel",
    "RepeatedGame",
    "RoleSpec",
    "RoleStep",
    "SessionModel",
    "check_actions",
    "episode_limit",
]


@dataclass(frozen=True)
class RoleSpec:
    """What one role looks like to a learner.

    Attributes:
        name: The role's name, e.g. ``"walker"``.
        n_agents: How many agents play this role (the batch size).
        observation_space: The space of *one* agent's observation.
        action_space: The space of *one* agent's action (discrete in this lab).

    """

    name: str
    n_agents: int
    observation_space: gym.Space[Any]
    action_space: gym.spaces.Discrete

    @property
    def n_actions(self) -> int:
        """Number of discrete actions."""
        return int(self.action_space.n)


class RoleStep(NamedTuple):
    """The batched outcome of one step for one role.

    Attributes:
        obs: Observation each agent acts on next (after autoreset for agents that finished).
        reward: Reward of the transition just taken, ``float64[n]``.
        terminated: The agent reached a terminal state of its MDP (no bootstrapping).
        truncated: The agent's episode was cut by a time limit (bootstrap from ``next_obs``).
        next_obs: The observation the transition led to, *before* any autoreset: the ``s'`` of
            the Bellman target. Equals ``obs`` for agents whose episode goes on.

    """

    obs: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    next_obs: np.ndarray


@runtime_checkable
class MultiAgentModel(Protocol):
    """What a Mesa model provides to be hosted by socialrl's environments.

    The arrays a model returns are never mutated by it afterwards, so adapters and learners may
    keep references without copying.
    """

    roles: Mapping[str, RoleSpec]
    autoreset: bool

    def observe(self, role: str) -> np.ndarray:
        """Current observations of every agent of ``role``."""
        ...

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        """Store the actions that the next ``step()`` applies."""
        ...

    def step(self) -> None:
        """Advance the model by one step (Mesa's step, no arguments)."""
        ...

    def outcome(self, role: str) -> RoleStep:
        """The outcome of the last ``step()`` for ``role``."""
        ...

    def active(self, role: str) -> np.ndarray:
        """Which agents are inside an episode (all of them when ``autoreset`` is on)."""
        ...

    def role_agents(self, role: str) -> Sequence[Any]:
        """The Mesa agents of ``role``, in batch order (slot ``i`` is agent ``i``)."""
        ...

    def metrics(self) -> dict[str, float]:
        """Model-level reporters for the ``steps`` table (cheap: called every record)."""
        ...

    def agent_frame(self, role: str) -> dict[str, np.ndarray]:
        """Per-agent reporters for the ``agents`` snapshot table, one array per column."""
        ...


@runtime_checkable
class SessionModel(Protocol):
    """A model that is a batch of independent **sessions** (replications: markets, games).

    Calvano et al.'s "1,000 sessions" are 1,000 markets in one model. Sessions end one by one
    (``simulate(stop_when_stable=K)`` ends a session once all its learners have been stable for
    ``K`` periods); an ended session stops: its agents turn inactive (zero reward, no learning)
    while the others go on, and the run ends when every session has.
    """

    def session_ids(self, role: str) -> np.ndarray:
        """The session of each agent of ``role``, ``int64[n_agents]``."""
        ...

    def sessions_active(self) -> np.ndarray:
        """Which sessions still play, ``bool[n_sessions]``."""
        ...

    def end_sessions(self, ended: np.ndarray, period: int) -> None:
        """Stop the sessions flagged in ``ended`` (``bool[n_sessions]``) after ``period``."""
        ...


@dataclass(frozen=True, eq=False)
class RepeatedGame:
    """A session model whose sessions are repeated games with a fixed payoff table.

    A model may describe itself this way (``model.repeated_game()``) so that a population of
    tabular learners can play many periods in one compiled call
    (:mod:`socialrl.run.repeated_game`) instead of one Python step per period. The
    compiled loop applies the model's rules exactly as ``step()`` does — a test checks that both
    paths give identical tables — so this is a faster route, not a second simulation.

    The arrays are the model's own state and are updated in place.

    Attributes:
        role: The players' role; agent slot ``session · n_players + seat``.
        n_players: Players per session.
        n_actions: Actions per player ``A``.
        memory: Action profiles a state remembers, ``k``.
        payoffs: ``float64[n_players, A ** n_players]``: seat ``i``'s payoff for the joint
            action ``Σ_j a_j A^j``.
        history: ``int64[n_sessions, memory, n_players]``: the last ``k`` action profiles, lag 0
            the most recent.
        state_weights: ``int64[n_players, memory, n_players]``: seat ``i`` observes
            ``Σ_{lag, j} history[lag, j] · state_weights[i, lag, j]``.
        active: ``bool[n_sessions]``: sessions still playing.
        ended_at: ``int64[n_sessions]``: the period each session ended (−1 while it plays).
        finish: Called with ``(periods, last_rewards)`` after a compiled call (the rewards
            of the last period played, ``float64[n_agents]``), so the model can bring its
            counters and its last outcome up to date.

    """

    role: str
    n_players: int
    n_actions: int
    memory: int
    payoffs: np.ndarray
    history: np.ndarray
    state_weights: np.ndarray
    active: np.ndarray
    ended_at: np.ndarray
    finish: Any


def check_actions(spec: RoleSpec, actions: object) -> np.ndarray:
    """Validate a batch of actions for ``spec`` and return it as an ``int64`` array.

    Args:
        spec: The role the actions are for.
        actions: One action per agent, shape ``[n_agents]``.

    Returns:
        The actions as a contiguous ``int64`` array (no copy when already so).

    Raises:
        ValueError: The shape is not ``[n_agents]``, or an action is out of range.
        TypeError: The actions are not integers.

    """
    arr = np.asarray(actions)
    if arr.shape != (spec.n_agents,):
        raise ValueError(
            f"actions for role '{spec.name}' must have shape ({spec.n_agents},) — one action per "
            f"agent — got shape {arr.shape}"
        )
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(
                f"actions for role '{spec.name}' must be integers in [0, {spec.n_actions}), "
                f"got dtype {arr.dtype}"
            )
    arr = arr.astype(np.int64, copy=False)
    if _count_outside(arr, spec.n_actions):
        bad = arr[(arr < 0) | (arr >= spec.n_actions)]
        raise ValueError(
            f"actions for role '{spec.name}' must lie in [0, {spec.n_actions}); "
            f"got {bad[:5].tolist()}"
        )
    return arr


@njit(cache=True, nogil=True)
def _count_outside(actions: np.ndarray, n_actions: int) -> int:  # pragma: no cover - compiled
    """How many actions lie outside ``[0, n_actions)`` (one pass, no temporaries)."""
    bad = 0
    for a in actions:
        bad += (a < 0) | (a >= n_actions)
    return bad


def episode_limit(value: object) -> int | None:
    """A model's ``max_episode_steps``: None (episodes never end) or a positive integer.

    Raises:
        ValueError: naming the parameter, for anything else (``True``, 0, 2.5, text).

    """
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer)
        or (int(value) != value or value < 1)
    ):
        raise ValueError(f"max_episode_steps must be a positive integer or None, got {value!r}")
    return int(value)
