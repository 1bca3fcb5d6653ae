"""Exact game values and optimal moves of small k-in-a-row boards, by search.

**Scores.** The solver scores a position for the player to move, and prefers fast wins and
slow losses (as Connect-Four solvers do): a player who completes a line leaving ``E`` cells
empty scores ``1 + E`` (its opponent ``−(1 + E)``), a draw scores 0. Negamax then reads

    score(s) = max_{a legal} −score(play(s, a)),

and the **value** of a position is the score's sign: +1 the player to move wins with best play,
0 a draw, −1 it loses. "Optimal moves" are those that keep the value (``fastest=False``: every
winning move in a won position, every drawing move in a drawn one, every move in a lost one),
or those that also keep the score (``fastest=True``: the fastest wins, the slowest losses).

**Search.** Negamax with alpha-beta pruning (Knuth & Moore 1975) and a transposition table
that keeps, per position, a lower and an upper bound of its score: a search with the window
``(α, β)`` that returns ``v ≤ α`` proves ``score ≤ v``, one that returns ``v ≥ β`` proves
``score ≥ v``, anything between is exact. Two cheap facts prune more: a win now is the best
there is (``score = E`` for ``E`` empty cells before the move), and without one the best is a
win at one's next move (``score ≤ max(E − 2, 0)``). Moves are tried centre first (cells on
more lines first), which is what makes alpha-beta fast on these boards. Whether a move is
optimal is a null-window test against the position's score. The search runs compiled (Numba)
on bitboards — the mover's stones and the opponent's as two integers, a line owned when
``stones & line == line`` — and its table persists in the :class:`Solver`, which
:func:`solver_for` keeps per game: after the first query, queries cost microseconds.

Boards up to 32 cells are searched (a position's key packs both players' stones in 64 bits);
what is solvable in practice is smaller. Measured here (bench/bench_board.py): every optimal
move of tic-tac-toe's 4,520 live positions in 10 ms from an empty table, 3 ms after; the
empty 4 × 4 board (k = 4) and Connect Four on 4 × 5 and 5 × 4 in 0.02–0.1 s.

Known answers (tests/test_board_solver.py): tic-tac-toe is a draw and so is every first move;
it has 5,478 positions reachable from the empty board (:func:`reachable_positions`); 4 × 4
with k = 4 is a draw; scores and optimal moves equal a brute-force minimax's on every
reachable position of small games; values of small Connect-Four boards agree with OpenSpiel.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

from .rules import FIRST_WON, PLAYING, SECOND_WON, KInARow

__all__ = [
    "MAX_CELLS",
    "Solver",
    "optimal_moves",
    "reachable_positions",
    "score",
    "solve",
    "solver_for",
    "values",
]

#: The largest board the solver takes (both players' stones fit one 64-bit key).
MAX_CELLS = 32
#: Larger than any score (|score| ≤ cells ≤ 32): the open window's bounds.
BIG = 100
_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # no position has every cell owned by both players
_ONE = np.uint64(1)
_PROBES = 4


# ------------------------------------------------------------------------------ compiled search
@njit(cache=True, inline="always")
def _bit(cell: int) -> np.uint64:  # pragma: no cover - compiled
    return _ONE << np.uint64(cell)


@njit(cache=True)
def _cell_of(
    x: np.uint64, o: np.uint64, action: int, gravity: bool, m: int, n: int
) -> int:  # pragma: no cover - compiled
    """The cell a move fills, or −1 where it is illegal (cell taken, column full)."""
    occupied = x | o
    if not gravity:
        return -1 if occupied & _bit(action) else action
    for r in range(m - 1, -1, -1):  # the lowest empty cell of the column
        cell = r * n + action
        if not occupied & _bit(cell):
            return cell
    return -1


@njit(cache=True)
def _wins(stones: np.uint64, cell: int, through: np.ndarray) -> bool:  # pragma: no cover
    """Whether ``stones`` own a whole line through ``cell`` (the cell just filled)."""
    for j in range(through.shape[1]):
        line = through[cell, j]
        if stones & line == line:
            return True
    return False


@njit(cache=True)
def _probe(keys: np.ndarray, key: np.uint64) -> tuple[int, bool]:  # pragma: no cover
    """The slot of ``key`` in the table (found), else a free slot or the one to overwrite."""
    mask = np.uint64(keys.size - 1)
    h = (key ^ (key >> np.uint64(29))) * np.uint64(0x9E3779B97F4A7C15)
    start = int(np.int64((h ^ (h >> np.uint64(32))) & mask))  # int64: not uint64 arithmetic
    for i in range(_PROBES):
        slot = (start + i) & (keys.size - 1)
        if keys[slot] == key:
            return slot, True
        if keys[slot] == _EMPTY:
            return slot, False
    return start, False


@njit(cache=True)
def _store(
    keys: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    key: np.uint64,
    value: int,
    alpha: int,
    beta: int,
) -> None:  # pragma: no cover - compiled
    """Record what a search in the window ``(alpha, beta)`` that returned ``value`` proved."""
    slot, found = _probe(keys, key)
    if not found:
        keys[slot], lo[slot], hi[slot] = key, -BIG, BIG
    if value <= alpha:  # failed low: an upper bound
        hi[slot] = min(hi[slot], value)
    elif value >= beta:  # failed high: a lower bound
        lo[slot] = max(lo[slot], value)
    else:
        lo[slot], hi[slot] = value, value


# The columns of a search frame (one row per node on the path from the root).
_EMPTIES, _ALPHA, _BETA, _START, _BEST, _NEXT = range(6)


@njit(cache=True)
def _key(x: np.uint64, o: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """A position's table key: the mover's stones, then the opponent's 32 bits up."""
    return x | (o << np.uint64(32))


@njit(cache=True)
def _enter(
    x: np.uint64,
    o: np.uint64,
    empties: int,
    alpha: int,
    beta: int,
    through: np.ndarray,
    order: np.ndarray,
    gravity: bool,
    m: int,
    n: int,
    keys: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[bool, int, int, int]:  # pragma: no cover - compiled
    """What a node knows before it searches its moves: ``(settled, score, alpha, beta)``.

    Settled: a full board (0), a win now (``empties``: the fastest there is), a window that the
    best without a win now (``max(E − 2, 0)``: a win at one's next move) cannot reach, or
    table bounds that decide the window. Otherwise the window, narrowed by those bounds.
    """
    if empties == 0:
        return True, 0, alpha, beta
    for a in order:
        cell = _cell_of(x, o, a, gravity, m, n)
        if cell >= 0 and _wins(x | _bit(cell), cell, through):
            return True, empties, alpha, beta
    beta = min(beta, max(empties - 2, 0))
    if alpha >= beta:
        return True, beta, alpha, beta
    slot, found = _probe(keys, _key(x, o))
    if found:
        low, high = int(lo[slot]), int(hi[slot])
        if low >= beta or low == high:
            return True, low, alpha, beta
        if high <= alpha:
            return True, high, alpha, beta
        alpha, beta = max(alpha, low), min(beta, high)
    return False, 0, alpha, beta


@njit(cache=True)
def _open(
    frame: np.ndarray, d: int, empties: int, alpha: int, beta: int
) -> None:  # pragma: no cover
    """Start searching the moves of the node at depth ``d``."""
    frame[d, _EMPTIES], frame[d, _ALPHA], frame[d, _BETA] = empties, alpha, beta
    frame[d, _START], frame[d, _BEST], frame[d, _NEXT] = alpha, -BIG, 0


@njit(cache=True)
def _fold(frame: np.ndarray, d: int, value: int) -> bool:  # pragma: no cover - compiled
    """Fold a move's score into node ``d``: its best and α; True at a cutoff (α ≥ β)."""
    if value > frame[d, _BEST]:
        frame[d, _BEST] = value
        frame[d, _ALPHA] = max(frame[d, _ALPHA], value)
    return frame[d, _ALPHA] >= frame[d, _BETA]


@njit(cache=True)
def _negamax(
    x: np.uint64,
    o: np.uint64,
    empties: int,
    alpha: int,
    beta: int,
    through: np.ndarray,
    order: np.ndarray,
    gravity: bool,
    m: int,
    n: int,
    keys: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """The score of a live position for its mover (``x``), fail-soft within ``(alpha, beta)``.

    Negamax, ``score = max_a −score(child)``, depth first with an explicit stack rather than
    recursion (Numba cannot cache recursive functions): row ``d`` of ``frame`` is the node at
    depth ``d`` — its window, its best so far, the next move to try — and ``xs[d], os[d]`` its
    stones, the mover's first.
    """
    settled, value, alpha, beta = _enter(
        x, o, empties, alpha, beta, through, order, gravity, m, n, keys, lo, hi
    )
    if settled:
        return value
    xs, os = np.empty(empties + 1, dtype=np.uint64), np.empty(empties + 1, dtype=np.uint64)
    frame = np.empty((empties + 1, 6), dtype=np.int64)
    xs[0], os[0], d = x, o, 0
    _open(frame, 0, empties, alpha, beta)
    while True:
        i, cell = frame[d, _NEXT], -1
        while cell < 0 and i < order.size:
            cell = _cell_of(xs[d], os[d], order[i], gravity, m, n)
            i += 1
        frame[d, _NEXT] = i
        done = cell < 0  # every move of node d searched
        if not done:
            child_x, child_o, child_e = os[d], xs[d] | _bit(cell), frame[d, _EMPTIES] - 1
            settled, value, a, b = _enter(
                child_x, child_o, child_e, -frame[d, _BETA], -frame[d, _ALPHA], through, order,
                gravity, m, n, keys, lo, hi,
            )  # fmt: skip
            if not settled:
                d += 1
                xs[d], os[d] = child_x, child_o
                _open(frame, d, child_e, a, b)
                continue
            done = _fold(frame, d, -value)
        while done:  # node d is finished: record it, hand its score to its parent
            best = frame[d, _BEST]
            _store(keys, lo, hi, _key(xs[d], os[d]), best, frame[d, _START], frame[d, _BETA])
            if d == 0:
                return best
            d -= 1
            done = _fold(frame, d, -best)


@njit(cache=True)
def _root_scores(
    xs: np.ndarray,
    os: np.ndarray,
    empties: np.ndarray,
    through: np.ndarray,
    order: np.ndarray,
    gravity: bool,
    m: int,
    n: int,
    keys: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled
    """Exact scores of live positions (the full window)."""
    out = np.empty(xs.size, dtype=np.int64)
    for i in range(xs.size):
        out[i] = _negamax(
            xs[i], os[i], empties[i], -BIG, BIG, through, order, gravity, m, n, keys, lo, hi
        )
    return out


@njit(cache=True)
def _keeps(
    x: np.uint64,
    o: np.uint64,
    empties: int,
    cell: int,
    target: int,
    through: np.ndarray,
    order: np.ndarray,
    gravity: bool,
    m: int,
    n: int,
    keys: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> bool:  # pragma: no cover - compiled
    """Whether filling ``cell`` scores at least ``target``: ``−score(child) ≥ target``.

    A null-window search of the child, ``(−target, −target + 1)``: a result ``≤ −target``
    proves the child scores at most ``−target``.
    """
    after = x | _bit(cell)
    if _wins(after, cell, through):
        return empties >= target
    if empties == 1:
        return target <= 0
    child = _negamax(
        o, after, empties - 1, -target, -target + 1, through, order, gravity, m, n, keys, lo, hi
    )
    return child <= -target


@njit(cache=True)
def _optimal(
    xs: np.ndarray,
    os: np.ndarray,
    empties: np.ndarray,
    targets: np.ndarray,
    n_actions: int,
    through: np.ndarray,
    order: np.ndarray,
    gravity: bool,
    m: int,
    n: int,
    keys: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled
    """``bool[count, A]``: the legal moves of live positions that score at least ``targets``."""
    out = np.zeros((xs.size, n_actions), dtype=np.bool_)
    for i in range(xs.size):
        for a in range(n_actions):
            cell = _cell_of(xs[i], os[i], a, gravity, m, n)
            if cell >= 0:
                out[i, a] = targets[i] <= -BIG or _keeps(
                    xs[i], os[i], empties[i], cell, targets[i], through, order, gravity, m, n,
                    keys, lo, hi,
                )  # fmt: skip
    return out


# ------------------------------------------------------------------------------ the solver
def _search_order(rules: KInARow) -> np.ndarray:
    """Actions centre first: cells on more lines first, ties nearer the centre first."""
    if rules.gravity:
        return np.argsort(np.abs(np.arange(rules.n) - (rules.n - 1) / 2), kind="stable")
    on_lines = np.bincount(rules.lines.ravel(), minlength=rules.cells)
    r, c = np.divmod(np.arange(rules.cells), rules.n)
    distance = np.hypot(r - (rules.m - 1) / 2, c - (rules.n - 1) / 2)
    return np.lexsort((distance, -on_lines)).astype(np.int64)


class Solver:
    """Exact scores, values and optimal moves of one k-in-a-row game, with a persistent table.

    Args:
        rules: The game, at most :data:`MAX_CELLS` cells.
        table_bits: The transposition table holds ``2 ** table_bits`` entries (10 bytes
            each; default: from the board's size, 2¹³ for tic-tac-toe, at most 2²²). A full
            table overwrites old entries: slower, never wrong.

    Raises:
        ValueError: for a board of more than :data:`MAX_CELLS` cells.

    """

    def __init__(self, rules: KInARow, table_bits: int | None = None) -> None:
        if rules.cells > MAX_CELLS:
            raise ValueError(
                f"rules: the solver searches boards of at most {MAX_CELLS} cells, got "
                f"{rules.m} × {rules.n} = {rules.cells}"
            )
        self.rules = rules
        bits = int(np.clip(rules.cells + 4, 12, 22)) if table_bits is None else int(table_bits)
        self.keys = np.full(2**bits, _EMPTY, dtype=np.uint64)
        self.lo = np.zeros(2**bits, dtype=np.int8)
        self.hi = np.zeros(2**bits, dtype=np.int8)
        weights = _ONE << np.arange(rules.cells, dtype=np.uint64)
        self._weights = weights
        self.through = np.bitwise_or.reduce(weights[rules.through], axis=2)
        self.order = _search_order(rules)

    def _bitboards(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The mover's stones, the opponent's (``uint64``) and the empty cells of each row."""
        board = states[:, : self.rules.cells]
        mine = (states[:, self.rules.to_move_index] + 1)[:, None]
        own = np.bitwise_or.reduce(np.where(board == mine, self._weights, 0), axis=1)
        other = np.bitwise_or.reduce(np.where((board != 0) & (board != mine), self._weights, 0), 1)
        empties = (board == 0).sum(axis=1).astype(np.int64)
        return own.astype(np.uint64), other.astype(np.uint64), empties

    def _search_args(
        self,
    ) -> tuple[np.ndarray, np.ndarray, bool, int, int, np.ndarray, np.ndarray, np.ndarray]:
        """The compiled search's fixed arguments: the board's geometry and the table."""
        r = self.rules
        return (self.through, self.order, r.gravity, r.m, r.n, self.keys, self.lo, self.hi)

    def scores(self, states: np.ndarray) -> np.ndarray:
        """Each position's score for its player to move, ``int64[count]`` (module docstring).

        At a finished game: ``−(1 + E)`` where the opponent has won, 0 in a draw.
        """
        states = self.rules.check_states(states)
        status = states[:, self.rules.status_index]
        x, o, empties = self._bitboards(states)
        out = np.where((status == FIRST_WON) | (status == SECOND_WON), -(1 + empties), 0)
        live = np.flatnonzero(status == PLAYING)
        if live.size:
            out[live] = _root_scores(x[live], o[live], empties[live], *self._search_args())
        return out.astype(np.int64)

    def values(self, states: np.ndarray) -> np.ndarray:
        """Game values for the player to move, ``int64[count]``: +1 win, 0 draw, −1 loss."""
        return np.sign(self.scores(states))

    def optimal_moves(self, states: np.ndarray, fastest: bool = False) -> np.ndarray:
        """``bool[count, A]``: the legal moves that keep the value (``fastest``: the score).

        Every legal move of a lost position keeps its value; none is legal at a finished one.
        """
        states = self.rules.check_states(states)
        scores = self.scores(states)
        keep = np.where(scores > 0, 1, np.where(scores == 0, 0, -BIG))
        targets = (scores if fastest else keep).astype(np.int64)
        live = np.flatnonzero(~self.rules.terminal(states))
        out = np.zeros((states.shape[0], self.rules.n_actions()), dtype=bool)
        if live.size:
            x, o, empties = self._bitboards(states[live])
            out[live] = _optimal(
                x, o, empties, targets[live], self.rules.n_actions(), *self._search_args()
            )
        return out


@functools.lru_cache(maxsize=16)
def solver_for(rules: KInARow) -> Solver:
    """The solver of ``rules``, one per game and process: its table fills once."""
    return Solver(rules)


def score(rules: KInARow, position: np.ndarray) -> int:
    """The score of one position for its player to move (fast wins score more)."""
    return int(solver_for(rules).scores(_one(rules, position))[0])


def solve(rules: KInARow, position: np.ndarray) -> int:
    """The game value of one position for its player to move: +1 win, 0 draw, −1 loss."""
    return int(np.sign(score(rules, position)))


def values(rules: KInARow, states: np.ndarray) -> np.ndarray:
    """Game values of a batch of positions, ``int64[count]``."""
    return solver_for(rules).values(states)


def optimal_moves(rules: KInARow, position: np.ndarray, fastest: bool = False) -> np.ndarray:
    """``bool[A]``: the moves of one position that achieve its value (``fastest``: score)."""
    return solver_for(rules).optimal_moves(_one(rules, position), fastest=fastest)[0]


def _one(rules: KInARow, position: np.ndarray) -> np.ndarray:
    """One position row as a batch of one, or a one-line error."""
    arr = np.asarray(position)
    if arr.ndim != 1:
        raise ValueError(f"position must be one row of {rules.size} values, got {arr.shape}")
    return rules.check_states(arr, "position")


def reachable_positions(rules: KInARow, limit: int = 5_000_000) -> np.ndarray:
    """Every position reachable from the empty board by legal moves, finished ones included.

    Breadth-first, one ply at a time through the batched rules; positions of different plies
    differ in their stone count, so removing duplicates within each ply is enough.

    Raises:
        ValueError: where more than ``limit`` positions would be held (a board too large).

    """
    layer = rules.initial(1)
    layers, total = [layer], 1
    while layer.shape[0]:
        live = layer[~rules.terminal(layer)]
        rows, moves = np.nonzero(rules.legal(live))
        layer = np.unique(rules.play(live[rows], moves), axis=0)
        total += layer.shape[0]
        if total > limit:
            raise ValueError(f"limit: more than {limit} positions are reachable on {rules!r}")
        layers.append(layer)
    return np.concatenate(layers)
