"""Maze layouts: ASCII text in, boolean arrays out.

A layout is drawn with one character per cell::

    #  wall            .  floor (a space works too)
    S  start (exactly one)
    G  goal (one or more; terminal)
    T  trap (terminal, with the model's ``trap_reward``)
    ~  slippery floor (the intended move is replaced by a random one with probability ``slip``)

The grid's border behaves as a wall: moving off the grid leaves the walker where it is. Rows
may be of different lengths in the text; short rows are padded with walls so that a sloppy
drawing does not shift cells.

Built-in layouts are listed in :data:`BUILTIN_LAYOUTS`; ``"random:ROWSxCOLS"`` draws a perfect
maze (exactly one path between any two cells) with a seeded generator. A finished run's maze,
random ones included, is redrawn from its ``policy`` table by :func:`layout_from_policy`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "BUILTIN_LAYOUTS",
    "Layout",
    "LayoutError",
    "get_layout",
    "layout_from_policy",
    "random_maze",
]

WALL, FLOOR, START, GOAL, TRAP, ICE = "#", ".", "S", "G", "T", "~"
_KNOWN = {WALL, FLOOR, " ", START, GOAL, TRAP, ICE}


class LayoutError(ValueError):
    """A layout that cannot be a maze (bad character, no start, goal unreachable, …)."""


@dataclass(frozen=True, eq=False)
class Layout:
    """A parsed maze layout.

    Attributes:
        name: A label for tables and plots.
        walls: ``bool[rows, cols]``, True where a wall stands.
        start: ``(row, col)`` of the start cell.
        goals: ``bool[rows, cols]``, True on goal cells.
        traps: ``bool[rows, cols]``, True on trap cells.
        slippery: ``bool[rows, cols]``, True on slippery cells.

    """

    name: str
    walls: np.ndarray
    start: tuple[int, int]
    goals: np.ndarray
    traps: np.ndarray = field(repr=False)
    slippery: np.ndarray = field(repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the grid."""
        return (int(self.walls.shape[0]), int(self.walls.shape[1]))

    @classmethod
    def from_text(cls, text: str, name: str = "custom") -> Layout:
        """Parse an ASCII drawing (see the module docstring for the characters).

        Raises:
            LayoutError: naming the line and column of an unknown character, or a missing or
                repeated start, or a missing goal.

        """
        lines = [ln.rstrip("\n") for ln in text.strip("\n").splitlines()]
        if not lines or not any(ln.strip() for ln in lines):
            raise LayoutError(f"layout '{name}' is empty")
        cols = max(len(ln) for ln in lines)
        rows = len(lines)
        grid = np.full((rows, cols), WALL, dtype="<U1")
        for r, line in enumerate(lines):
            for c, ch in enumerate(line):
                if ch not in _KNOWN:
                    raise LayoutError(
                        f"layout '{name}': unknown character {ch!r} at line {r + 1}, column "
                        f"{c + 1}; allowed: '#' wall, '.' or ' ' floor, 'S' start, 'G' goal, "
                        f"'T' trap, '~' slippery"
                    )
                grid[r, c] = FLOOR if ch == " " else ch
        starts = np.argwhere(grid == START)
        if len(starts) != 1:
            where = ", ".join(f"line {r + 1} column {c + 1}" for r, c in starts)
            raise LayoutError(
                f"layout '{name}' must have exactly one start 'S', found {len(starts)}"
                + (f" ({where})" if where else "")
            )
        goals = grid == GOAL
        if not goals.any():
            raise LayoutError(f"layout '{name}' has no goal 'G'")
        start = (int(starts[0][0]), int(starts[0][1]))
        return cls(
            name=name,
            walls=grid == WALL,
            start=start,
            goals=goals,
            traps=grid == TRAP,
            slippery=grid == ICE,
        )

    def to_text(self) -> str:
        """The layout as ASCII (the inverse of :meth:`from_text`)."""
        grid = np.full(self.shape, FLOOR, dtype="<U1")
        grid[self.walls] = WALL
        grid[self.slippery] = ICE
        grid[self.traps] = TRAP
        grid[self.goals] = GOAL
        grid[self.start] = START
        return "\n".join("".join(row) for row in grid)


#: Sutton & Barto (2018), Example 8.1 "Dyna maze": 6 × 9, start (2, 0), goal (0, 8);
#: the shortest path takes 14 steps.
DYNA_MAZE = """
.......#G
..#....#.
S.#....#.
..#......
.....#...
.........
"""

#: A maze in the spirit of the lecture this lab follows (reward −1 per step, start on the
#: left, goal on the right, several dead ends).
LECTURE_MAZE = """
##########
#S..#....#
#.#.#.##.#
#.#...#..#
#.####.#.#
#......#G#
##########
"""

#: An open room: every shortest path is a Manhattan path (many ties — tests tie-breaking).
OPEN_ROOM = """
S....
.....
.....
.....
....G
"""

#: Sutton & Barto's cliff walk (Example 6.6) drawn with traps: the short path runs along the cliff.
CLIFF = """
............
............
............
STTTTTTTTTTG
"""

#: A small frozen lake: slippery ice and holes (traps), in the spirit of Gymnasium's FrozenLake.
FROZEN = """
S~~~
~T~T
~~~T
T~~G
"""

BUILTIN_LAYOUTS: dict[str, str] = {
    "dyna": DYNA_MAZE,
    "lecture": LECTURE_MAZE,
    "open_room": OPEN_ROOM,
    "cliff": CLIFF,
    "frozen": FROZEN,
}

_RANDOM = re.compile(r"^random:(\d+)x(\d+)$")


def random_maze(rows: int, cols: int, rng: np.random.Generator) -> Layout:
    """Draw a perfect maze of ``rows × cols`` rooms with a randomized depth-first search.

    The drawing has ``2·rows + 1`` lines of ``2·cols + 1`` characters (rooms on odd
    coordinates, walls between them). The start is the top-left room, the goal the
    bottom-right one. A perfect maze has exactly one path between any two rooms, so its
    shortest path is its only path.

    Args:
        rows: Rooms down (≥ 1).
        cols: Rooms across (≥ 1); ``rows · cols ≥ 2``.
        rng: The generator that draws the maze (same seed → same maze).

    """
    if rows < 1 or cols < 1 or rows * cols < 2:
        raise LayoutError(f"random maze size must be at least 1x2 rooms, got {rows}x{cols}")
    walls = np.ones((2 * rows + 1, 2 * cols + 1), dtype=bool)
    visited = np.zeros((rows, cols), dtype=bool)
    stack = [(0, 0)]
    visited[0, 0] = True
    walls[1, 1] = False
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1))
    while stack:
        r, c = stack[-1]
        options = [
            (r + dr, c + dc)
            for dr, dc in steps
            if 0 <= r + dr < rows and 0 <= c + dc < cols and not visited[r + dr, c + dc]
        ]
        if not options:
            stack.pop()
            continue
        nr, nc = options[int(rng.integers(len(options)))]
        visited[nr, nc] = True
        walls[2 * nr + 1, 2 * nc + 1] = False
        walls[r + nr + 1, c + nc + 1] = False  # the wall between the two rooms
        stack.append((nr, nc))
    goals = np.zeros_like(walls)
    goals[2 * rows - 1, 2 * cols - 1] = True
    empty = np.zeros_like(walls)
    return Layout(
        name=f"random:{rows}x{cols}",
        walls=walls,
        start=(1, 1),
        goals=goals,
        traps=empty,
        slippery=empty.copy(),
    )


def get_layout(spec: str | Layout, rng: np.random.Generator | None = None) -> Layout:
    """Resolve a layout given by name, ``"random:RxC"``, ASCII text or a :class:`Layout`.

    Args:
        spec: A built-in name (see :data:`BUILTIN_LAYOUTS`), ``"random:ROWSxCOLS"``, a
            multi-line ASCII drawing, or a ready :class:`Layout`.
        rng: Needed for random mazes (the model passes its own generator).

    Raises:
        LayoutError: for an unknown name (listing the allowed ones) or a bad drawing.

    """
    if isinstance(spec, Layout):
        return spec
    if not isinstance(spec, str):
        raise LayoutError(f"layout must be a name, ASCII text or a Layout, got {type(spec)!r}")
    if "\n" in spec.strip("\n") or (START in spec and set(spec) <= _KNOWN):
        return Layout.from_text(spec)
    name = spec.strip()
    if name in BUILTIN_LAYOUTS:
        return Layout.from_text(BUILTIN_LAYOUTS[name], name=name)
    match = _RANDOM.match(name)
    if match:
        if rng is None:
            raise LayoutError("a random layout needs a generator (rng)")
        return random_maze(int(match.group(1)), int(match.group(2)), rng)
    allowed = ", ".join(sorted(BUILTIN_LAYOUTS)) + ", random:ROWSxCOLS or ASCII text"
    raise LayoutError(f"unknown layout {name!r}; allowed: {allowed}")


def layout_from_policy(policy: pd.DataFrame) -> str:
    """Redraw the ASCII maze from one walker's ``policy`` rows (walls where no state lies).

    Raises:
        ValueError: for a table without the ``row``, ``col``, ``cell`` and grid-size columns.

    """
    needed = {"row", "col", "cell", "grid_rows", "grid_cols"}
    if not needed <= set(policy.columns) or policy.empty:
        raise ValueError(f"a policy table needs columns {sorted(needed)}")
    first = policy.iloc[0]
    grid = np.full((int(first["grid_rows"]), int(first["grid_cols"])), WALL, dtype="<U1")
    cells = policy.drop_duplicates(["row", "col"])
    grid[cells["row"].to_numpy(int), cells["col"].to_numpy(int)] = cells["cell"].astype(str)
    return "\n".join("".join(line) for line in grid)
