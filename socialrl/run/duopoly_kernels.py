"""A leaner compiled loop for the common case: two players, memory one, a table per agent.

Calvano et al.'s markets are duopolies whose firms remember the last price pair and learn a
table each. :func:`play_duopolies` plays them exactly as
:func:`~socialrl.run.repeated_game_kernels.play_sessions` does: the same order of choices
and updates, the same formulas, the same sums in the same order, the same cached row maxima
(``tests/test_repeated_game_kernels.py`` compares every value, bit for bit). The runner
picks it by itself (:func:`fits`). What the case allows (measured on two 2.6 GHz cores;
the whole loop takes about half the generic one's time):

* **A row's greedy action rarely needs a scan.** Besides each row's maximum and greedy
  action, a bound on its other values is kept, so a greedy action whose value fell (half of
  all updates in mid-run, ε ≈ 0.1–0.5) is known to stay greedy while it stays above the
  bound. A row is scanned when its greedy action reaches the bound, which in mid-run is the
  greedy action changing, one update in four; :func:`_scan` does that in one pass of four
  independent lanes instead of three serial passes (about 25 cycles instead of 55).
* **The update selects instead of branching** where the case is a coin flip of the data:
  whether the agent explored (probability ε), whether a value rose. Compiled as branches,
  these and the tests for a scan cost 25–45 ns in mid-run; LLVM turns ``a and b`` and
  ``x if c else y`` back into branches, so the update is written with ``min``, ``max``,
  arithmetic and a single comparison.
* **Each agent reads the cell it will update while the block's agents choose**, so the
  block's eight loads are in flight together; early in a run states are random and these
  cells often come from memory.
* **A block's tables are read in order before it plays** (:func:`_touch`), so that they
  come into the cache as a stream, not one random miss at a time.
* **States come from the two actions** (no loop over lags and seats), per-agent arrays are
  indexed by slot (no per-block views), and indices are unsigned (:func:`_ix`), which spares
  Numba's wraparound of negative indices, three instructions for every index of every
  access.

Tried and dropped: reading the uniforms in the order they are drawn (``[period, agent]``,
no rearranging; the strided reads made the loop a third slower), a row's three caches in one
cache line, software prefetch of the next state's row (no gain early, a loss later),
scanning every updated row without branches (the scan costs more than the mispredictions),
and an agent choosing its next action right after its update (no measurable gain).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from socialrl.learners.q_learning_kernels import (
    _argmax_ties,
    _td_update_with,
    batch_loop,
    serial_and_parallel,
)
from socialrl.run.repeated_game_kernels import (
    GameArrays,
    LearnerArrays,
    PlayRules,
    _explore_or,
    _greedy_at,
    _reduce,
)

__all__ = ["DuopolyWork", "fits", "play_duopolies"]


def fits(n_players: int, memory: int, own_tables: bool) -> bool:
    """Whether :func:`play_duopolies` plays these games (else the generic loop does)."""
    return n_players == 2 and memory == 1 and own_tables


class DuopolyWork(NamedTuple):
    """Scratch arrays of :func:`play_duopolies`, by agent slot (the loop allocates nothing).

    ``obs``, ``acts``, ``greedy`` and ``cells``: each agent's state, action, greedy action
    (its row's lowest maximiser) and the value of the cell it will update. ``row_max``,
    ``row_greedy`` and ``row_second`` are ``[agent, state]``: the row's maximum (NaN: not
    known), its only maximising action (-1: not known, or tied) and a bound on the values of
    its other actions, those but the lowest maximiser: no less than their maximum (+∞: not
    known; a scan makes it their maximum). ``played`` and ``totals`` are each block's
    periods played and reward sum; ``sink`` takes what :func:`_touch` read.
    """

    obs: np.ndarray
    acts: np.ndarray
    greedy: np.ndarray
    cells: np.ndarray
    row_max: np.ndarray
    row_greedy: np.ndarray
    row_second: np.ndarray
    played: np.ndarray
    totals: np.ndarray
    sink: np.ndarray

    @classmethod
    def allocate(cls, n_sessions: int, block: int, n_states: int) -> DuopolyWork:
        """Scratch for ``n_sessions`` duopolies played in blocks of ``block``."""
        n_blocks = -(-n_sessions // block)
        n_agents = 2 * n_blocks * block
        return cls(
            obs=np.zeros(n_agents, dtype=np.int64),
            acts=np.zeros(n_agents, dtype=np.int64),
            greedy=np.zeros(n_agents, dtype=np.int64),
            cells=np.zeros(n_agents),
            row_max=np.full((n_agents, n_states), np.nan),
            row_greedy=np.full((n_agents, n_states), -1, dtype=np.int64),
            row_second=np.full((n_agents, n_states), np.inf),
            played=np.zeros(n_blocks, dtype=np.int64),
            totals=np.zeros(n_blocks),
            sink=np.zeros(n_agents),
        )

    def forget_rows(self) -> None:
        """Drop what is known of the rows (the tables changed elsewhere)."""
        self.row_max.fill(np.nan)
        self.row_greedy.fill(-1)
        self.row_second.fill(np.inf)


@njit(cache=True, nogil=True, inline="always")
def _ix(i: int) -> int:  # pragma: no cover - compiled
    """``i`` as an unsigned index (it is never negative): Numba then omits the wraparound."""
    return np.uint64(i)  # type: ignore[return-value]


@njit(cache=True, nogil=True, inline="always")
def _lane(
    m: float, first: int, second: float, v: float, a: int
) -> tuple[float, int, float]:  # pragma: no cover - compiled
    """A lane of :func:`_scan` after one more value ``v = q[…, a]``.

    Its maximum (the first maximal element: ``max`` keeps its first argument on ties), where
    it is, and the next value (a tie counts).
    """
    return max(m, v), a if v > m else first, max(second, min(m, v))


@njit(cache=True, nogil=True, inline="always")
def _merge(
    m: float, first: int, second: float, m_b: float, first_b: int, second_b: float
) -> tuple[float, int, float]:  # pragma: no cover - compiled
    """Two lanes of :func:`_scan` combined: the larger maximum, the lower index on a tie."""
    b = (m_b > m) | ((m_b == m) & (first_b < first))
    return m_b if b else m, first_b if b else first, max(min(m, m_b), max(second, second_b))


@njit(cache=True, nogil=True, inline="always")
def _scan(q: np.ndarray, k: int, o: int) -> tuple[float, int, bool, float]:  # pragma: no cover
    """Row ``o``'s maximum, lowest maximiser, whether it is the only one, and the rest's max.

    The rest are the actions but the lowest maximiser (their maximum is the row's when tied).
    The first three are ``_max`` and ``_greedy_at``'s for finite values, bit for bit (the
    maximum is the lowest maximiser's own value, so even the sign of a zero is kept), in a
    fraction of their time: one pass, in four interleaved lanes (action ``a`` in lane
    ``a mod 4``), each tracking its maximum, where it is and the next value, then combined.
    A serial scan is a chain of dependent comparisons, and in mid-run (ε ≈ 0.1–0.5) the
    greedy action changes, so its row is scanned, in one update in four.
    """
    n_actions = q.shape[2]
    lanes = n_actions - n_actions % 4
    m0 = m1 = m2 = m3 = s0 = s1 = s2 = s3 = -np.inf
    f0, f1, f2, f3 = 0, 1, 2, 3
    for a in range(0, lanes, 4):
        m0, f0, s0 = _lane(m0, f0, s0, q[k, o, _ix(a)], a)
        m1, f1, s1 = _lane(m1, f1, s1, q[k, o, _ix(a + 1)], a + 1)
        m2, f2, s2 = _lane(m2, f2, s2, q[k, o, _ix(a + 2)], a + 2)
        m3, f3, s3 = _lane(m3, f3, s3, q[k, o, _ix(a + 3)], a + 3)
    if lanes < n_actions:
        m0, f0, s0 = _lane(m0, f0, s0, q[k, o, _ix(lanes)], lanes)
    if lanes + 1 < n_actions:
        m1, f1, s1 = _lane(m1, f1, s1, q[k, o, _ix(lanes + 1)], lanes + 1)
    if lanes + 2 < n_actions:
        m2, f2, s2 = _lane(m2, f2, s2, q[k, o, _ix(lanes + 2)], lanes + 2)
    m0, f0, s0 = _merge(m0, f0, s0, m1, f1, s1)
    m2, f2, s2 = _merge(m2, f2, s2, m3, f3, s3)
    best, first, second = _merge(m0, f0, s0, m2, f2, s2)
    return best, first, second < best, second


@njit(cache=True, nogil=True, inline="always")
def _know_row(
    q: np.ndarray, k: int, o: int, i: int, work: DuopolyWork
) -> int:  # pragma: no cover - compiled
    """Scan agent ``i``'s row ``o`` into the row caches; returns its lowest maximiser."""
    best, first, unique, second = _scan(q, k, o)
    r, c = _ix(i), _ix(o)
    work.row_max[r, c], work.row_second[r, c] = best, second
    work.row_greedy[r, c] = first if unique else -1
    return first


@njit(cache=True, nogil=True, inline="always")
def _choose(
    q: np.ndarray, k: int, o: int, epsilon: float, u: float, i: int, work: DuopolyWork
) -> tuple[int, int]:  # pragma: no cover - compiled
    """``_choose``'s action and the row's lowest maximising action, as the generic loop's.

    A row whose greedy action is cached needs no read of the row; a tied one is scanned.
    """
    g = work.row_greedy[_ix(i), _ix(o)]
    if g >= 0:
        return _explore_or(g, epsilon, u, q.shape[2]), g
    first, unique = _greedy_at(q, k, o, work.row_max[_ix(i), _ix(o)])
    if unique:
        work.row_greedy[_ix(i), _ix(o)] = first
    elif u >= epsilon:  # break the tie as _choose does
        return _argmax_ties(q, k, o, (u - epsilon) / (1.0 - epsilon)), first
    return _explore_or(first, epsilon, u, q.shape[2]), first


@njit(cache=True, nogil=True, inline="always")
def _settle(
    q: np.ndarray,
    k: int,
    o: int,
    i: int,
    a: int,
    old: float,
    new: float,
    before: int,
    work: DuopolyWork,
) -> int:  # pragma: no cover - compiled
    """The generic loop's ``_settle`` for agent ``i``'s row ``o``: its new greedy action.

    ``q[k, o, a]`` moved from ``old`` to ``new``; ``before`` was the row's lowest maximiser.
    The row's maximum, greedy action and bound on the other values follow from the old ones
    by ``min``, ``max`` and arithmetic, without branches (see the module docstring); the row
    is scanned only when the greedy action fell to or below the bound. A scan is always
    right, so the cases it covers needlessly (a value of −∞) would cost time only.
    """
    r, c = _ix(i), _ix(o)
    top, second = work.row_max[r, c], work.row_second[r, c]
    same = a == before
    big = np.inf if same else -np.inf  # +∞ when the greedy action's own value moved
    # One comparison, not three (a chain of branches the data would mispredict): the bound
    # is at most the maximum, so only a greedy action that fell can reach it.
    if new <= min(second, big):
        return _know_row(q, k, o, i, work)
    up, tie = (new > top) & (a != before), (new == top) & (a != before)
    keep = same & (new > second)  # still the only maximiser
    g = work.row_greedy[r, c]
    work.row_greedy[r, c] = g + (before - g) * keep + (a - g) * up + (-1 - g) * tie
    work.row_max[r, c] = max(min(top, -big), new)  # new if same, else the larger, top on a tie
    # same: the others did not move; else a's new value joins them, and a new maximum
    # (or a tie) makes the old one the largest of the others
    work.row_second[r, c] = min(max(second, min(new, -big)), max(top, big))
    return before + (a - before) * up + (min(a, before) - before) * tie


@njit(cache=True, nogil=True, inline="always")
def _learn(
    i: int, reward: float, nxt: int, agents: LearnerArrays, work: DuopolyWork
) -> None:  # pragma: no cover - compiled
    """Agent ``i`` learns from its period, as the generic loop's ``_learn_seat`` (own tables)."""
    j, q, k = _ix(i), agents.q, _ix(agents.rows[_ix(i)])
    o, a, before = work.obs[j], work.acts[j], work.greedy[j]
    next_max = work.row_max[j, _ix(nxt)]
    old, alpha = work.cells[j], agents.alpha[j]
    td = _td_update_with(q, k, _ix(o), _ix(a), reward, next_max, False, alpha, agents.gamma[j])
    agents.td[j] = td
    # q[k, o, a] as _td_update_with wrote it (the same operation), without reading it back
    after = _settle(q, k, _ix(o), i, a, old, old + alpha * td, before, work)
    if agents.stable.shape[0] > 0:
        agents.stable[j] = (agents.stable[j] + 1) * (after == before)


@njit(cache=True, nogil=True, inline="always")
def _next_state(a0: int, a1: int, weights: np.ndarray, seat: int) -> int:  # pragma: no cover
    """Seat ``seat``'s state after the actions ``a0, a1``: ``Σ_j a_j · weights[seat, 0, j]``."""
    return a0 * weights[_ix(seat), 0, 0] + a1 * weights[_ix(seat), 0, 1]


@njit(cache=True, nogil=True, inline="always")
def _choose_block(
    b: int,
    b0: int,
    b1: int,
    t: int,
    game: GameArrays,
    agents: LearnerArrays,
    u: np.ndarray,
    work: DuopolyWork,
) -> bool:  # pragma: no cover - compiled
    """Every agent of sessions ``b0 … b1 − 1`` chooses its period-``t`` action.

    Each also reads the cell it will update (see the module docstring). False: none plays.
    """
    q, playing = agents.q, False
    for s in range(b0, b1):
        if not game.active[_ix(s)]:
            continue
        playing = True
        for i in range(2 * s, 2 * s + 2):
            j = _ix(i)
            k, o = _ix(agents.rows[j]), _ix(work.obs[j])
            epsilon = agents.eps[_ix(agents.groups[j]), _ix(t)]
            uniform = u[_ix(b), _ix(t), _ix(i - 2 * b0)]
            a, g = _choose(q, k, o, epsilon, uniform, i, work)
            work.acts[j], work.greedy[j], work.cells[j] = a, g, q[k, o, _ix(a)]
    return playing


@njit(cache=True, nogil=True, inline="always")
def _play_session(
    s: int,
    t: int,
    game: GameArrays,
    agents: LearnerArrays,
    rules: PlayRules,
    work: DuopolyWork,
    total: float,
) -> float:  # pragma: no cover - compiled
    """Session ``s`` plays its chosen actions, as the generic loop's ``_play_session``.

    Payoffs, history, learning, maybe its end; returns ``total`` plus its rewards.
    """
    n_actions = agents.q.shape[2]
    a0, a1 = work.acts[_ix(2 * s)], work.acts[_ix(2 * s + 1)]
    joint, h = a0 + a1 * n_actions, _ix(s)
    game.history[h, 0, 0], game.history[h, 0, 1] = a0, a1
    settled = rules.stop_after > 0
    for seat in range(2):
        i = 2 * s + seat
        reward = game.payoffs[_ix(seat), _ix(joint)]
        agents.last_rewards[_ix(i)] = reward
        total += reward
        nxt = _next_state(a0, a1, game.weights, seat)
        if rules.learn:
            _learn(i, reward, nxt, agents, work)
        work.obs[_ix(i)] = nxt
        if settled and agents.stable[_ix(i)] < rules.stop_after:
            settled = False
    if settled:
        game.active[h] = False
        game.ended_at[h] = rules.t0 + t + 1
    return total


@njit(cache=True, nogil=True, inline="always")
def _touch(q: np.ndarray, k: int, work: DuopolyWork, i: int) -> float:  # pragma: no cover
    """Read one value of every cache line of agent ``i``'s table and row caches, in order.

    A block plays a whole call's periods on its agents' tables, so they come into the
    processor's cache once per call. Read in order, the hardware streams them ahead of the
    reads; the periods' own reads go one random row at a time and each waits for memory.
    Measured without it: the first 20,000 periods of 1,000 markets took 1.5 times as long,
    and in mid-run the loop 1.7 times as long in calls of 1,000 periods. Returns their maximum (for
    ``DuopolyWork.sink``, so that the reads are not optimised away).
    """
    acc = 0.0
    for o in range(q.shape[1]):
        for a in range(0, q.shape[2], 8):
            acc = max(acc, q[k, _ix(o), _ix(a)])
        acc = max(acc, q[k, _ix(o), _ix(q.shape[2] - 1)])
    for o in range(0, q.shape[1], 8):
        acc = max(acc, work.row_second[_ix(i), _ix(o)] + work.row_greedy[_ix(i), _ix(o)])
    return acc


@njit(cache=True, nogil=True, inline="always")
def _start_block(
    b0: int, b1: int, game: GameArrays, agents: LearnerArrays, work: DuopolyWork
) -> None:  # pragma: no cover - compiled
    """Each agent's state from the history, its forgotten rows (NaN) scanned, its table read."""
    w = game.weights
    for s in range(b0, b1):
        for seat in range(2):
            i = 2 * s + seat
            a0, a1 = game.history[s, 0, 0], game.history[s, 0, 1]
            work.obs[i] = a0 * w[seat, 0, 0] + a1 * w[seat, 0, 1]
            if not game.active[s]:
                continue
            for o in range(agents.q.shape[1]):
                if np.isnan(work.row_max[i, o]):
                    _know_row(agents.q, _ix(agents.rows[i]), _ix(o), i, work)
            work.sink[_ix(i)] = _touch(agents.q, _ix(agents.rows[i]), work, i)


@batch_loop()
def _play_block(
    b: int,
    game: GameArrays,
    agents: LearnerArrays,
    u: np.ndarray,
    rules: PlayRules,
    work: DuopolyWork,
) -> tuple[int, float]:  # pragma: no cover - compiled
    """Block ``b``'s sessions, period by period: every agent chooses, then all update.

    A compiled function of its own for the reason the generic ``_play_block`` is one.
    """
    b0 = b * rules.block
    b1 = min(b0 + rules.block, game.history.shape[0])
    _start_block(b0, b1, game, agents, work)
    total, played = 0.0, 0
    for t in range(agents.eps.shape[1]):
        if not _choose_block(b, b0, b1, t, game, agents, u, work):
            break
        played = t + 1
        for s in range(b0, b1):
            if game.active[_ix(s)]:
                total = _play_session(s, t, game, agents, rules, work, total)
    return played, total


@serial_and_parallel
def play_duopolies(
    game: GameArrays, agents: LearnerArrays, u: np.ndarray, rules: PlayRules, work: DuopolyWork
) -> tuple[int, float]:  # pragma: no cover - compiled
    """:func:`~socialrl.run.repeated_game_kernels.play_sessions` for games that :func:`fits`.

    The same arguments, but the scratch arrays of :class:`DuopolyWork`.
    """
    n_blocks = (game.history.shape[0] + rules.block - 1) // rules.block
    played, totals = work.played, work.totals
    for b in prange(n_blocks):
        played[b], totals[b] = _play_block(b, game, agents, u, rules, work)
    return _reduce(played, totals)
