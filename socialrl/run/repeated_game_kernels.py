"""The compiled loop of :mod:`socialrl.run.repeated_game`: Q-learners playing repeated games.

It is built from the pieces :class:`~socialrl.learners.q_learning.QLearning` uses
(:mod:`socialrl.learners.q_learning_kernels`: the row maximum, the lowest maximising action,
uniform tie-breaking, the Bellman update) and reproduces its ε-greedy choice from one uniform
formula for formula.

Order of play, as in a Python step: in each period every agent chooses from the Q tables as
they were, then the agents update in slot order. Agents with a table each never touch another
session's table, so sessions are played in small blocks, each block period by period for a
whole chunk (its tables stay in cache), and an agent can keep its rows' maxima and greedy
actions up to date instead of scanning a row each time; with one Numba thread per core the
blocks run in parallel. A shared table makes the loop go period by period across all
sessions instead (one block).

The loop allocates nothing and is compiled without Numba's runtime
(:func:`~socialrl.learners.q_learning_kernels.batch_loop`): every array comes from the caller,
grouped in the typed tuples below. With the runtime, each array handed to an inlined helper
was reference-counted with an atomic increment and decrement per call, which a profile
(``perf``) put at 35% of the loop's time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from socialrl.learners.q_learning_kernels import (
    _argmax_ties,
    _first_argmax,
    _first_at,
    _max,
    _random_action,
    _td_update_with,
    batch_loop,
    serial_and_parallel,
)

__all__ = ["GameArrays", "LearnerArrays", "PlayRules", "Workspace", "play_sessions"]


class GameArrays(NamedTuple):
    """The repeated games' own state (:class:`~socialrl.contract.RepeatedGame`), updated in place.

    ``payoffs[seat, joint action]``, ``history[session, lag, seat]``,
    ``weights[seat, lag, seat]`` (the state a seat observes), ``active[session]`` and
    ``ended_at[session]`` (−1 while it plays).
    """

    payoffs: np.ndarray
    history: np.ndarray
    weights: np.ndarray
    active: np.ndarray
    ended_at: np.ndarray


class LearnerArrays(NamedTuple):
    """Every agent of the role, in slot order ``session · n_players + seat``.

    Agent ``i`` uses row ``rows[i]`` of the stacked tables ``q``, learning rate ``alpha[i]``,
    discount ``gamma[i]`` and its group's ε, ``eps[groups[i], period]``. The loop writes
    ``td[i]`` and ``stable[i]`` (empty: not counted) as ``QLearning.learn`` does, and the
    reward of the last period played into ``last_rewards[i]``.
    """

    q: np.ndarray
    rows: np.ndarray
    groups: np.ndarray
    alpha: np.ndarray
    gamma: np.ndarray
    eps: np.ndarray
    stable: np.ndarray
    td: np.ndarray
    last_rewards: np.ndarray


class PlayRules(NamedTuple):
    """How to play: update or only act, when a session ends, how sessions are blocked.

    ``stop_after`` > 0 ends a session once all its agents have been stable that many periods;
    ``t0`` is the period before the call (for ``ended_at``); ``own_tables``: no agent shares a
    table, so the row caches of :class:`Workspace` may be kept.
    """

    learn: bool
    stop_after: int
    t0: int
    block: int
    own_tables: bool


class Workspace(NamedTuple):
    """Scratch arrays of the compiled loop, one slice per block (the loop allocates nothing).

    ``obs``, ``acts`` and ``greedy`` are ``[blocks, sessions per block, seats]``: each
    agent's current state, chosen action and greedy action. ``row_max`` and ``row_greedy``
    are ``[blocks, sessions per block, seats, states]``: each row's maximum (NaN: not known)
    and its only maximising action (-1: not known, or tied); states is 0 for shared tables,
    which are not cached. ``played`` and ``totals`` are each block's periods played and
    reward sum.
    """

    obs: np.ndarray
    acts: np.ndarray
    greedy: np.ndarray
    row_max: np.ndarray
    row_greedy: np.ndarray
    played: np.ndarray
    totals: np.ndarray

    @classmethod
    def allocate(cls, n_sessions: int, block: int, n_players: int, n_cached: int) -> Workspace:
        """Scratch for ``n_sessions`` sessions in blocks of ``block``."""
        n_blocks = -(-n_sessions // block)
        shape = (n_blocks, block, n_players)
        return cls(
            obs=np.zeros(shape, dtype=np.int64),
            acts=np.zeros(shape, dtype=np.int64),
            greedy=np.zeros(shape, dtype=np.int64),
            row_max=np.full((*shape, n_cached), np.nan),
            row_greedy=np.full((*shape, n_cached), -1, dtype=np.int64),
            played=np.zeros(n_blocks, dtype=np.int64),
            totals=np.zeros(n_blocks),
        )

    def forget_rows(self) -> None:
        """Drop the cached row maxima and greedy actions (the tables changed elsewhere)."""
        self.row_max.fill(np.nan)
        self.row_greedy.fill(-1)


@batch_loop()
def rearrange(
    u: np.ndarray, active: np.ndarray, block: int, out: np.ndarray, start: int
) -> None:  # pragma: no cover - compiled
    """``out[b, start + t, j] = u[t, b · width + j]`` for each block ``b`` still playing.

    ``width`` is ``out.shape[2]`` (a block's agents); the last block may be partly filled.
    """
    n_agents, width = u.shape[1], out.shape[2]
    for b in range(out.shape[0]):
        playing = False
        for s in range(b * block, min((b + 1) * block, active.shape[0])):
            playing = playing or active[s]
        if not playing:
            continue
        first = b * width
        used = min(width, n_agents - first)
        for t in range(u.shape[0]):
            for j in range(used):
                out[b, start + t, j] = u[t, first + j]


@njit(cache=True, nogil=True, inline="always")
def _observe(
    history: np.ndarray, weights: np.ndarray, s: int, seat: int
) -> int:  # pragma: no cover
    """Seat ``seat``'s state index in session ``s``: ``Σ history[s, lag, j] · w[seat, lag, j]``."""
    obs = 0
    for lag in range(history.shape[1]):
        for j in range(history.shape[2]):
            obs += history[s, lag, j] * weights[seat, lag, j]
    return obs


@njit(cache=True, nogil=True, inline="always")
def _greedy_at(q: np.ndarray, k: int, s: int, best: float) -> tuple[int, bool]:  # pragma: no cover
    """The lowest action of row ``s`` worth ``best`` (its maximum), and whether it is alone."""
    first = _first_at(q, k, s, best)
    ties = 0
    for a in range(first + 1, q.shape[2]):
        ties += q[k, s, a] == best
    return first, ties == 0


@njit(cache=True, nogil=True, inline="always")
def _explore_or(greedy: int, epsilon: float, u: float, n_actions: int) -> int:  # pragma: no cover
    """``_choose`` for a row whose maximum is unique: ``greedy`` unless ``u < ε``.

    Both candidates are computed and one selected: whether an agent explores is a coin flip
    that a branch would mispredict about half the time while ε is near ½.
    """
    random_action = _random_action(u, epsilon, n_actions) if epsilon > 0.0 else 0
    return random_action if u < epsilon else greedy


@njit(cache=True, nogil=True, inline="always")
def _choose_and_greedy(
    q: np.ndarray, k: int, s: int, epsilon: float, u: float, best: float
) -> tuple[int, int, bool]:  # pragma: no cover - compiled
    """``_choose``'s action, the greedy action and whether it is unique, given the maximum.

    The action is exactly ``_choose(q, k, s, epsilon, u)`` of the Q-learning kernels (same
    formula for the random action, same tie-breaking) and the greedy action exactly
    ``_first_argmax(q, k, s)``; knowing ``best = max_a q[k, s, a]`` spares both a scan.
    """
    first, unique = _greedy_at(q, k, s, best)
    if not unique and u >= epsilon:  # rare: break the tie as _choose does
        return _argmax_ties(q, k, s, (u - epsilon) / (1.0 - epsilon)), first, unique
    return _explore_or(first, epsilon, u, q.shape[2]), first, unique


@njit(cache=True, nogil=True, inline="always")
def _row_max(
    q: np.ndarray, k: int, s: int, cache: np.ndarray, b: int, seat: int
) -> float:  # pragma: no cover - compiled
    """``max_a q[k, s, a]``, from the block's cache when it holds it (see :class:`Workspace`)."""
    if cache.shape[2] == 0:
        return _max(q, k, s)
    value = cache[b, seat, s]
    if np.isnan(value):
        value = _max(q, k, s)
        cache[b, seat, s] = value
    return value


@njit(cache=True, nogil=True, inline="always")
def _settle(
    q: np.ndarray,
    k: int,
    s: int,
    a: int,
    old: float,
    before: int,
    cache: np.ndarray,
    greedy_cache: np.ndarray,
    b: int,
    seat: int,
) -> int:  # pragma: no cover - compiled
    """The greedy action of row ``s`` after ``q[k, s, a]`` changed from ``old``; keeps the caches.

    ``before`` is the row's lowest maximising action before the change. Only one value moved,
    so the new greedy action and maximum follow from the old ones; a row is scanned (once)
    only when the greedy action's own value fell. A tie makes the row's greedy action
    unknown to the cache (-1), so it is scanned when next chosen from.
    """
    new = q[k, s, a]
    cached = cache.shape[2] > 0
    if a == before:
        if new >= old:  # the maximum rose: still the greedy action
            if cached:
                cache[b, seat, s] = new
            return before
        best = _max(q, k, s)  # the maximum fell: find the new one
        first, unique = _greedy_at(q, k, s, best)
        if cached:
            cache[b, seat, s] = best
            greedy_cache[b, seat, s] = first if unique else -1
        return first
    top = q[k, s, before]
    if new > top:
        if cached:
            cache[b, seat, s] = new
            greedy_cache[b, seat, s] = a
        return a
    if new == top:
        if cached:
            greedy_cache[b, seat, s] = -1
        return min(a, before)
    return before


@njit(cache=True, nogil=True, inline="always")
def _choose_period(
    b: int,
    b0: int,
    b1: int,
    t: int,
    game: GameArrays,
    agents: LearnerArrays,
    u: np.ndarray,
    obs: np.ndarray,
    acts: np.ndarray,
    greedy: np.ndarray,
    row_max: np.ndarray,
    row_greedy: np.ndarray,
) -> bool:  # pragma: no cover - compiled
    """Every agent of sessions ``b0 … b1 − 1`` chooses its period-``t`` action; False: none plays.

    ``row_greedy[session, seat, state]`` holds the row's greedy action when that is the only
    maximiser (-1: not known, or tied), so a greedy choice does not read the row at all.
    """
    n, n_actions, q = game.history.shape[2], agents.q.shape[2], agents.q
    cached = row_greedy.shape[2] > 0
    playing = False
    for s in range(b0, b1):
        if not game.active[s]:
            continue
        playing = True
        for seat in range(n):
            i, o = s * n + seat, obs[s - b0, seat]
            uniform, epsilon = u[b, t, i - b0 * n], agents.eps[agents.groups[i], t]
            g = row_greedy[s - b0, seat, o] if cached else -1
            if g >= 0:
                a = _explore_or(g, epsilon, uniform, n_actions)
            else:
                best = _row_max(q, agents.rows[i], o, row_max, s - b0, seat)
                a, g, unique = _choose_and_greedy(q, agents.rows[i], o, epsilon, uniform, best)
                if cached and unique:
                    row_greedy[s - b0, seat, o] = g
            acts[s - b0, seat] = a
            greedy[s - b0, seat] = g
    return playing


@njit(cache=True, nogil=True, inline="always")
def _learn_seat(
    i: int,
    c: int,
    seat: int,
    reward: float,
    nxt: int,
    agents: LearnerArrays,
    rules: PlayRules,
    obs: np.ndarray,
    acts: np.ndarray,
    greedy: np.ndarray,
    row_max: np.ndarray,
    row_greedy: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Agent ``i`` (seat ``seat`` of the block's session ``c``) learns from its period.

    Its greedy action before the update comes from the choice (own tables) or a scan (a
    shared table may have changed since); its stability count follows ``QLearning.learn``.
    """
    q, row, o, a = agents.q, agents.rows[i], obs[c, seat], acts[c, seat]
    before = greedy[c, seat] if rules.own_tables else _first_argmax(q, row, o)
    old = q[row, o, a]
    next_max = _row_max(q, row, nxt, row_max, c, seat)
    agents.td[i] = _td_update_with(
        q, row, o, a, reward, next_max, False, agents.alpha[i], agents.gamma[i]
    )
    after = _settle(q, row, o, a, old, before, row_max, row_greedy, c, seat)
    if agents.stable.shape[0] > 0:
        agents.stable[i] = agents.stable[i] + 1 if after == before else 0


@njit(cache=True, nogil=True, inline="always")
def _play_session(
    s: int,
    b0: int,
    t: int,
    game: GameArrays,
    agents: LearnerArrays,
    rules: PlayRules,
    total: float,
    obs: np.ndarray,
    acts: np.ndarray,
    greedy: np.ndarray,
    row_max: np.ndarray,
    row_greedy: np.ndarray,
) -> float:  # pragma: no cover - compiled
    """Session ``s`` plays its chosen actions: payoffs, history, learning, maybe its end.

    Returns ``total`` plus the session's rewards, added one by one (a block's reward sum is
    part of the tables, so its order of additions is kept). The session ends
    (``ended_at = t0 + t + 1``) once every agent's stability count has reached ``stop_after``.
    """
    history, n_actions = game.history, agents.q.shape[2]
    k, n, c = history.shape[1], history.shape[2], s - b0
    joint, scale = 0, 1
    for seat in range(n):
        joint += acts[c, seat] * scale
        scale *= n_actions
    for lag in range(k - 1, 0, -1):
        for j in range(n):
            history[s, lag, j] = history[s, lag - 1, j]
    for j in range(n):
        history[s, 0, j] = acts[c, j]
    settled = rules.stop_after > 0
    for seat in range(n):
        i = s * n + seat
        reward = game.payoffs[seat, joint]
        agents.last_rewards[i] = reward
        total += reward
        nxt = _observe(history, game.weights, s, seat)
        if rules.learn:
            _learn_seat(
                i, c, seat, reward, nxt, agents, rules, obs, acts, greedy, row_max, row_greedy
            )
        obs[c, seat] = nxt
        if settled and agents.stable[i] < rules.stop_after:
            settled = False
    if settled:
        game.active[s] = False
        game.ended_at[s] = rules.t0 + t + 1
    return total


@batch_loop()
def _play_block(
    b: int,
    game: GameArrays,
    agents: LearnerArrays,
    u: np.ndarray,
    rules: PlayRules,
    work: Workspace,
) -> tuple[int, float]:  # pragma: no cover - compiled
    """Block ``b``'s sessions, period by period: every agent chooses, then all update.

    The block's row caches (see :class:`Workspace`) are filled on first use and kept up to
    date through the agents' own updates (no other agent writes their tables), so most
    periods need no scan of a row. Shared tables pass an empty last axis and scan every time.

    A compiled function of its own, not inlined into :func:`play_sessions`: inside a
    ``prange`` body, Numba 0.68 drops writes to arrays reached through a tuple's fields
    (``agents.td[i] = …``); in a function called from the body they land.
    """
    b0 = b * rules.block
    b1 = min(b0 + rules.block, game.history.shape[0])
    obs, acts, greedy = work.obs[b], work.acts[b], work.greedy[b]
    row_max, row_greedy = work.row_max[b], work.row_greedy[b]
    for s in range(b0, b1):  # then each period's update leaves the next observation here
        for seat in range(game.history.shape[2]):
            obs[s - b0, seat] = _observe(game.history, game.weights, s, seat)
    total, played = 0.0, 0
    for t in range(agents.eps.shape[1]):
        if not _choose_period(
            b, b0, b1, t, game, agents, u, obs, acts, greedy, row_max, row_greedy
        ):
            break
        played = t + 1
        for s in range(b0, b1):
            if game.active[s]:
                total = _play_session(
                    s, b0, t, game, agents, rules, total, obs, acts, greedy, row_max, row_greedy
                )
    return played, total


@serial_and_parallel
def play_sessions(
    game: GameArrays, agents: LearnerArrays, u: np.ndarray, rules: PlayRules, work: Workspace
) -> tuple[int, float]:  # pragma: no cover - compiled
    """Play ``agents.eps.shape[1]`` periods of every active session, block by block.

    Agent ``i`` draws uniform ``u[i // (block·n), t, i % (block·n)]`` in period ``t`` (see
    ``SessionRunner._uniforms``). Blocks are independent only when no table is shared, so run
    ``parallel`` only then.

    Returns:
        ``(periods played, total reward)``: fewer periods than asked only when every session
        has ended (the period of the last ending).

    """
    n_blocks = (game.history.shape[0] + rules.block - 1) // rules.block
    # Bound to names first: the prange body drops writes through tuple fields (see _play_block).
    played, totals = work.played, work.totals
    for b in prange(n_blocks):
        played[b], totals[b] = _play_block(b, game, agents, u, rules, work)
    return _reduce(played, totals)


@batch_loop()
def _reduce(played: np.ndarray, totals: np.ndarray) -> tuple[int, float]:  # pragma: no cover
    """Most periods any block played, and the reward total summed in block order."""
    most, total = 0, 0.0
    for b in range(played.shape[0]):
        most = max(most, played[b])
        total += totals[b]
    return most, total
