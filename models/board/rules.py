"""The rules of m × n, k-in-a-row games, on batches of positions (:class:`KInARow`).

Tic-tac-toe is ``KInARow(3, 3, 3)``; gomoku-like games place a stone on any empty cell of a
larger board; small Connect-Four boards (``gravity=True``) name a *column*, and the stone
drops to the lowest empty cell of it. The first player to own ``k`` cells in a row, a column
or a diagonal wins; a full board without such a line is a draw.

The rules implement :class:`socialrl.games.GameRules`: pure functions of batches of positions,
vectorised with numpy, because a tree search calls ``play``, ``legal`` and ``terminal`` on
thousands of positions per second. Two precomputed index arrays do the work:

- ``lines[L, k]``: the cells of every line of ``k`` cells (rows, columns, both diagonals);
- ``through[cells, P, k]``: for every cell, the lines through it (padded with repeats of a line
  through the same cell). A move can only complete a line through the cell it filled, so
  ``play`` checks ``P`` lines of the new stone rather than all ``L``.

Position row (``int64[m·n + 2]``):

====================  =========================================================================
``row[r·n + c]``      the cell in row ``r`` (0 = top), column ``c``: 0 empty, 1 first player's
                      stone, 2 second player's
``row[m·n]``          the player to move: 0 (first, seat 0) or 1 (second, seat 1)
``row[m·n + 1]``      the status: 0 playing, 1 first player won, 2 second player won, 3 draw
====================  =========================================================================

The status makes ``terminal`` and ``payoffs`` one comparison each, and a position says by
itself whether and how its game ended (the player to move there is then irrelevant).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DRAW",
    "FIRST_WON",
    "MAX_SIDE",
    "PLAYING",
    "SECOND_WON",
    "KInARow",
    "board_lines",
]

#: Status codes, the last cell of a position row.
PLAYING, FIRST_WON, SECOND_WON, DRAW = 0, 1, 2, 3
#: The longest side a board may have (the 19 × 19 of Go and gomoku).
MAX_SIDE = 19


def board_lines(m: int, n: int, k: int) -> np.ndarray:
    """Every line of ``k`` consecutive cells on an ``m × n`` board, ``int64[L, k]``.

    Cells are numbered row by row (``r·n + c``). A line runs along a row, a column, a
    diagonal (down-right) or an anti-diagonal (down-left); each appears once.
    """
    lines = []
    steps = ((0, 1), (1, 0), (1, 1), (1, -1))
    for r in range(m):
        for c in range(n):
            for dr, dc in steps:
                end_r, end_c = r + (k - 1) * dr, c + (k - 1) * dc
                if 0 <= end_r < m and 0 <= end_c < n:
                    lines.append([(r + i * dr) * n + (c + i * dc) for i in range(k)])
    return np.array(lines, dtype=np.int64).reshape(-1, k)


def _lines_through(lines: np.ndarray, cells: int) -> np.ndarray:
    """``int64[cells, P, k]``: the lines through each cell, padded with repeats of its first.

    Repeating a line through the same cell leaves "does any line through the cell belong to
    the mover" unchanged, so the padding needs no sentinel.
    """
    per_cell = [np.flatnonzero((lines == cell).any(axis=1)) for cell in range(cells)]
    width = max(len(ids) for ids in per_cell)
    padded = [np.resize(ids, width) for ids in per_cell]  # np.resize repeats the ids
    return lines[np.array(padded, dtype=np.int64)]


def _side(name: str, value: object) -> int:
    """A board side or line length: an integer in ``[1, MAX_SIDE]``, else a one-line error."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not 1 <= value <= MAX_SIDE
    ):
        raise ValueError(f"{name} must be an integer in [1, {MAX_SIDE}], got {value!r}")
    return int(value)


class KInARow:
    """The m × n, k-in-a-row game (tic-tac-toe, gomoku, small Connect-Four boards).

    Args:
        m: Rows, ``1 … 19``.
        n: Columns, ``1 … 19``.
        k: Stones in a row that win, ``1 … max(m, n)`` (a longer line fits nowhere).
        gravity: Connect-Four rules: a move names a column (``n`` actions) and the stone
            drops to its lowest empty cell; without, a move names a cell (``m·n`` actions).

    Raises:
        ValueError: naming the parameter, for a side or line length out of range.

    """

    def __init__(self, m: int = 3, n: int = 3, k: int = 3, gravity: bool = False) -> None:
        self.m, self.n = _side("m", m), _side("n", n)
        self.k = _side("k", k)
        if self.k > max(self.m, self.n):
            raise ValueError(
                f"k must be at most max(m, n) = {max(self.m, self.n)} (no line of {self.k} fits "
                f"on a {self.m} × {self.n} board), got {k!r}"
            )
        if not isinstance(gravity, bool | np.bool_):
            raise ValueError(f"gravity must be true or false, got {gravity!r}")
        self.gravity = bool(gravity)
        self.cells = self.m * self.n
        self.to_move_index, self.status_index = self.cells, self.cells + 1
        self.size = self.cells + 2
        self.lines = board_lines(self.m, self.n, self.k)
        self.through = _lines_through(self.lines, self.cells)

    @property
    def params(self) -> dict[str, int | bool]:
        """The constructor's arguments (what a study or a tactic table names)."""
        return {"m": self.m, "n": self.n, "k": self.k, "gravity": self.gravity}

    def __repr__(self) -> str:
        return f"KInARow(m={self.m}, n={self.n}, k={self.k}, gravity={self.gravity})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KInARow) and self.params == other.params

    def __hash__(self) -> int:
        return hash(tuple(self.params.values()))

    # ------------------------------------------------------------------ GameRules
    def n_players(self) -> int:
        """Two players: seat 0 (the first mover, stones 1) and seat 1 (stones 2)."""
        return 2

    def n_actions(self) -> int:
        """``n`` columns with gravity, else ``m·n`` cells."""
        return self.n if self.gravity else self.cells

    def initial(self, count: int) -> np.ndarray:
        """``count`` empty boards, the first player to move."""
        return np.zeros((count, self.size), dtype=np.int64)

    def to_move(self, states: np.ndarray) -> np.ndarray:
        """The player to move, ``int64[count]``."""
        return states[:, self.to_move_index]

    def terminal(self, states: np.ndarray) -> np.ndarray:
        """``bool[count]``: someone has won, or the board is full."""
        return states[:, self.status_index] != PLAYING

    def legal(self, states: np.ndarray) -> np.ndarray:
        """Empty cells (with gravity: columns whose top cell is empty) of games still playing."""
        playing = (states[:, self.status_index] == PLAYING)[:, None]
        open_cells = states[:, : self.n] if self.gravity else states[:, : self.cells]
        return (open_cells == 0) & playing

    def landing_cells(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The cell each move fills: the action itself, or the column's lowest empty cell.

        With gravity the stone comes to rest on the column's stones (or the bottom row).
        """
        actions = np.asarray(actions, dtype=np.int64)
        if not self.gravity:
            return actions
        board = states[:, : self.cells].reshape(-1, self.m, self.n)
        column = board[np.arange(board.shape[0]), :, actions]  # [count, m], top to bottom
        row = (column == 0).sum(axis=1) - 1
        return row * self.n + actions

    def play(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The positions after each player to move plays ``actions`` (legal: callers check).

        Only the lines through the filled cell can have been completed, so only they are
        read; a full board without a new line is a draw.
        """
        count = states.shape[0]
        rows = np.arange(count)
        cell = self.landing_cells(states, actions)
        mover = states[:, self.to_move_index]
        stone = mover + 1
        after = states.copy()
        after[rows, cell] = stone
        lines = self.through[cell]  # [count, P, k]
        owned = after[rows[:, None, None], lines] == stone[:, None, None]
        won = owned.all(axis=2).any(axis=1)
        full = (after[:, : self.cells] != 0).all(axis=1)
        after[:, self.to_move_index] = 1 - mover
        after[:, self.status_index] = np.where(won, stone, np.where(full, DRAW, PLAYING))
        return after

    def payoffs(self, states: np.ndarray) -> np.ndarray:
        """``float64[count, 2]``: +1 the winner, −1 the loser, 0 each in a draw or unfinished."""
        status = states[:, self.status_index]
        first = (status == FIRST_WON).astype(np.float64) - (status == SECOND_WON)
        return np.stack([first, -first], axis=1)

    def features(self, states: np.ndarray) -> np.ndarray:
        """``float32[count, 2·m·n]``: the mover's stones, then the opponent's, as 0/1 planes.

        Seen from the player to move (AlphaZero's canonical form), so that one network plays
        both sides: the first player's stones are "mine" when it moves and "theirs" after.
        """
        board = states[:, : self.cells]
        mine = (states[:, self.to_move_index] + 1)[:, None]
        own = board == mine
        other = (board != 0) & ~own
        return np.concatenate([own, other], axis=1).astype(np.float32)

    # ------------------------------------------------------------------ helpers
    def check_states(self, states: object, what: str = "states") -> np.ndarray:
        """``states`` as ``int64[count, m·n + 2]`` rows of this game, or a one-line error."""
        arr = np.asarray(states)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.size or arr.dtype.kind not in "iu":
            raise ValueError(
                f"{what} must be integer rows of {self.size} values ({self.m}×{self.n} cells, "
                f"player to move, status) for {self!r}, got shape {arr.shape} ({arr.dtype})"
            )
        return arr.astype(np.int64, copy=False)

    def from_text(self, board: str, status: int | None = None) -> np.ndarray:
        """A position row from a drawing: rows top to bottom, ``X`` (first), ``O``, ``.``.

        Whitespace and ``/`` separate rows and are otherwise ignored, so ``"XO. / .X. / ..O"``
        is a 3 × 3 board. The player to move follows from the stones (the first player moves
        when both have as many); the status is read from the board unless given.
        """
        chars = [ch for ch in board.upper() if ch in "XO."]
        if len(chars) != self.cells:
            raise ValueError(
                f"board must draw {self.cells} cells (X, O or .) for {self!r}, got {len(chars)}"
            )
        cells = np.array([".XO".index(ch) for ch in chars], dtype=np.int64)
        row = np.zeros(self.size, dtype=np.int64)
        row[: self.cells] = cells
        row[self.to_move_index] = int((cells == 1).sum() > (cells == 2).sum())
        row[self.status_index] = self.status_of(cells) if status is None else status
        return row

    def status_of(self, cells: np.ndarray) -> int:
        """The status of a board drawn from scratch (who owns a full line; full: a draw)."""
        owners = cells[self.lines]
        for stone in (1, 2):
            if (owners == stone).all(axis=1).any():
                return stone
        return DRAW if (cells != 0).all() else PLAYING

    def to_text(self, state: np.ndarray) -> str:
        """A position as rows of ``X``, ``O`` and ``.`` (top row first)."""
        cells = np.asarray(state)[: self.cells].reshape(self.m, self.n)
        return "\n".join(" ".join(".XO"[int(v)] for v in row) for row in cells)
