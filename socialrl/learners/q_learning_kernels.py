"""Compiled inner loops of tabular Q-learning, shared by every model that uses Q tables.

A population of Q-learners touches a few cells of a large array ``Q[tables, S, A]`` per agent
and step. In NumPy that takes several fancy-indexing passes over the batch (each a gather with
three index arrays) and small-axis reductions, ~500 ns per agent-step; as one compiled loop it
is a few nanoseconds. The loops below are written once and used by :class:`QLearning` on every
model, so there is no special-cased copy of the simulation anywhere.

Each batch loop is written once, with ``prange``, and compiled twice (:func:`serial_and_parallel`):
large populations with a table per agent run the ``parallel`` variant on all cores (agents are
independent, so the result is the same); shared tables keep the ``serial`` one.

Randomness stays outside: the caller draws uniforms from the learner's own
``numpy.random.Generator`` and passes them in, so results are reproducible from one seed and
independent of Numba's internal generator.

The batch loops allocate nothing and are compiled without Numba's runtime (:func:`batch_loop`).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

import numpy as np
from numba import njit, prange

if TYPE_CHECKING:
    from socialrl.learners.schedules import Schedule

_F = TypeVar("_F", bound=Callable[..., object])

__all__ = [
    "QKernelView",
    "SerialAndParallel",
    "batch_loop",
    "epsilon_greedy",
    "greedy_actions",
    "q_update",
    "serial_and_parallel",
]


def batch_loop(*, parallel: bool = False) -> Callable[[_F], _F]:
    """``numba.njit`` for a loop that allocates nothing: cached, GIL released, no runtime.

    With Numba's runtime, each array handed to an inlined helper (``_choose(q, …)``) is
    reference-counted with an atomic increment and decrement per call, and LLVM does not
    remove the pairs around helpers that contain loops. Without it (``_nrt=False``) they are
    gone: measured, ``q_update`` takes 15–20% less time per agent on a 27 MB table, and the
    session loop of :mod:`~socialrl.run.repeated_game_kernels` 35% less (``perf`` had put a
    third of its samples on the two atomic instructions). The price: such a loop cannot
    create arrays, so its callers pass in every scratch array.
    """
    return njit(cache=True, nogil=True, parallel=parallel, _nrt=False)  # type: ignore[call-overload]


class SerialAndParallel(NamedTuple, Generic[_F]):
    """One batch loop compiled twice: ``serial`` (one core) and ``parallel`` (all cores)."""

    serial: _F
    parallel: _F

    def pick(self, parallel: bool) -> _F:
        """The variant to run: ``parallel`` only where iterations never share a table."""
        return self.parallel if parallel else self.serial


def serial_and_parallel(fn: _F) -> SerialAndParallel[_F]:
    """Compile a loop written with ``prange`` as a serial and a parallel :func:`batch_loop`.

    Outside ``parallel=True`` Numba reads ``prange`` as ``range``, so one body serves both and
    they cannot drift apart. The parallel twin is a copy of the function under its own name:
    Numba's on-disk cache is keyed by the function's qualified name, and two variants of one
    function would otherwise overwrite each other's cached machine code.
    """
    twin = types.FunctionType(
        fn.__code__, fn.__globals__, f"{fn.__name__}_parallel", fn.__defaults__, fn.__closure__
    )
    twin.__qualname__ = f"{fn.__qualname__}_parallel"
    twin.__doc__ = fn.__doc__
    return SerialAndParallel(batch_loop()(fn), batch_loop(parallel=True)(twin))  # type: ignore[arg-type]


@njit(cache=True, nogil=True, inline="always")
def _max(q: np.ndarray, k: int, s: int) -> float:  # pragma: no cover - compiled
    """``max_a q[k, s, a]``.

    Written with ``max`` rather than ``if v > best``: the comparison of nearly equal Q values is
    unpredictable, and a mispredicted branch per action cost more than the whole scan
    (measured 87 → 39 ns for the three scans of an ε-greedy step and its update).
    """
    best = q[k, s, 0]
    for a in range(1, q.shape[2]):
        best = max(best, q[k, s, a])
    return best


@njit(cache=True, nogil=True, inline="always")
def _first_at(q: np.ndarray, k: int, s: int, value: float) -> int:  # pragma: no cover
    """The lowest ``a`` with ``q[k, s, a] == value`` (``value`` must occur)."""
    a = 0
    while q[k, s, a] != value and a < q.shape[2] - 1:
        a += 1
    return a


@njit(cache=True, nogil=True, inline="always")
def _argmax_ties(q: np.ndarray, k: int, s: int, u: float) -> int:  # pragma: no cover - compiled
    """Index of the maximum of ``q[k, s, :]``; among ties the ``⌊u · #ties⌋``-th one."""
    best = _max(q, k, s)
    first = _first_at(q, k, s, best)
    count = 1
    for a in range(first + 1, q.shape[2]):
        count += q[k, s, a] == best
    if count == 1:
        return first
    pick = int(u * count)
    for a in range(first, q.shape[2]):
        if q[k, s, a] == best:
            if pick == 0:
                return a
            pick -= 1
    return q.shape[2] - 1  # unreachable for finite values


@njit(cache=True, nogil=True, inline="always")
def _first_argmax(q: np.ndarray, k: int, s: int) -> int:  # pragma: no cover - compiled
    """The greedy action: the lowest index among equal maxima of ``q[k, s, :]``."""
    return _first_at(q, k, s, _max(q, k, s))


@njit(cache=True, nogil=True, inline="always")
def _random_action(u: float, epsilon: float, n_actions: int) -> int:  # pragma: no cover
    """The exploring action ``⌊(u / ε) · A⌋`` of a uniform ``u < ε`` (see :func:`_choose`)."""
    return min(int(u / epsilon * n_actions), n_actions - 1)


@njit(cache=True, nogil=True, inline="always")
def _choose(q: np.ndarray, k: int, s: int, epsilon: float, u: float) -> int:  # pragma: no cover
    """One agent's ε-greedy action from one uniform (see :func:`epsilon_greedy`)."""
    if u < epsilon:
        return _random_action(u, epsilon, q.shape[2])
    return _argmax_ties(q, k, s, (u - epsilon) / (1.0 - epsilon))


@njit(cache=True, nogil=True, inline="always")
def _td_update(
    q: np.ndarray,
    k: int,
    s: int,
    a: int,
    r: float,
    s_next: int,
    terminated: bool,
    alpha: float,
    gamma: float,
) -> float:  # pragma: no cover - compiled
    """``Q(s,a) ← Q(s,a) + α [r + γ max_a' Q(s',a') (1 − terminated) − Q(s,a)]``; returns TD."""
    return _td_update_with(q, k, s, a, r, _max(q, k, s_next), terminated, alpha, gamma)


@njit(cache=True, nogil=True, inline="always")
def _td_update_with(
    q: np.ndarray,
    k: int,
    s: int,
    a: int,
    r: float,
    next_max: float,
    terminated: bool,
    alpha: float,
    gamma: float,
) -> float:  # pragma: no cover - compiled
    """:func:`_td_update` given ``max_a' Q(s', a')`` (a caller that already knows it)."""
    target = r
    if not terminated:
        target += gamma * next_max
    td = target - q[k, s, a]
    q[k, s, a] += alpha * td
    return td


@serial_and_parallel
def epsilon_greedy(
    q: np.ndarray,
    tables: np.ndarray,
    states: np.ndarray,
    epsilon: float,
    u: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """ε-greedy actions for a batch of agents, ties broken uniformly at random.

    One uniform ``u[i]`` per agent decides everything: agent ``i`` explores when ``u[i] < ε``
    and then takes action ``⌊(u[i] / ε) · A⌋``; otherwise it takes a maximising action of
    ``Q[tables[i], states[i], ·]``, choosing among equal maxima with ``(u[i] − ε) / (1 − ε)``.
    Given the branch, each rescaled number is again uniform on [0, 1), so one draw per agent
    gives exactly the distribution of three independent ones.
    """
    for i in prange(states.shape[0]):
        out[i] = _choose(q, tables[i], states[i], epsilon, u[i])


@batch_loop()
def greedy_actions(
    q: np.ndarray, tables: np.ndarray, states: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """Deterministic greedy actions (the lowest index among equal maxima)."""
    for i in range(states.shape[0]):
        out[i] = _first_argmax(q, tables[i], states[i])


@njit(cache=True, nogil=True, inline="always")
def _update_agent(
    q: np.ndarray,
    tables: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    active: np.ndarray,
    alpha: float,
    gamma: float,
    td: np.ndarray,
    stable: np.ndarray,
    i: int,
) -> None:  # pragma: no cover - compiled
    """Agent ``i``'s update, TD error and greedy-stability count (if ``stable`` is not empty)."""
    if not active[i]:
        td[i] = np.nan
        return
    k, s = tables[i], states[i]
    if stable.shape[0] == 0:  # stability not tracked: the plain update
        td[i] = _td_update(
            q, k, s, actions[i], rewards[i], next_states[i], terminated[i], alpha, gamma
        )
        return
    before = _first_argmax(q, k, s)
    td[i] = _td_update(q, k, s, actions[i], rewards[i], next_states[i], terminated[i], alpha, gamma)
    stable[i] = stable[i] + 1 if _first_argmax(q, k, s) == before else 0


@serial_and_parallel
def q_update(
    q: np.ndarray,
    tables: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    active: np.ndarray,
    alpha: float,
    gamma: float,
    td: np.ndarray,
    stable: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """The Bellman update of every active agent on its visited cell; TD errors into ``td``.

    Agents are updated in slot order, so agents sharing one table update it one after
    another, exactly as sequential learners would. TD errors go to ``td`` (NaN for inactive
    agents); ``stable[i]`` counts agent ``i``'s consecutive updates that left its greedy action
    in the visited state unchanged (the convergence rule of Calvano et al. 2020: only the
    visited cell changes, so only its greedy action can). Run ``parallel`` only where every
    agent has a table of its own (no races).
    """
    for i in prange(states.shape[0]):
        _update_agent(
            q,
            tables,
            states,
            actions,
            rewards,
            next_states,
            terminated,
            active,
            alpha,
            gamma,
            td,
            stable,
            i,
        )


class QKernelView(NamedTuple):
    """A Q-learner's state as compiled code reads and writes it (see :meth:`QLearning.kernel_view`).

    The arrays and the generator are the learner's own, not copies: code that plays periods
    for the learner (:mod:`socialrl.run.repeated_game`) updates them in place, draws its
    exploration uniforms from ``rng`` in the order :meth:`QLearning.act` would, and then
    advances the learner's step count ``t`` by the periods played.

    Attributes:
        q: The Q tables ``float64[tables, S, A]``.
        rows: The table of each agent of the group, ``int64[n]``.
        td: The TD error of each agent's last update, ``float64[n]`` (NaN: no update).
        stable: Consecutive updates without a change of greedy action, ``int64[n]``.
        tracking: Whether ``stable`` is being counted (:meth:`QLearning.stable_steps`).
        rng: The generator that exploration draws from.
        alpha: Learning rate.
        gamma: Discount factor.
        epsilon: The exploration schedule.
        shared: One table for the whole group.
        t: Steps taken so far (the schedule's clock).

    """

    q: np.ndarray
    rows: np.ndarray
    td: np.ndarray
    stable: np.ndarray
    tracking: bool
    rng: np.random.Generator
    alpha: float
    gamma: float
    epsilon: Schedule
    shared: bool
    t: int
