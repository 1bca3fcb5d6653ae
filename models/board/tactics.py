"""Tactical positions with their optimal moves: wins in one, blocks, forks.

A table for tests of players and planners: "a search with enough simulations finds the
solver's move" (Monte Carlo tree search, AlphaZero), "a perfect player plays only these".
Each position is drawn as rows top to bottom — ``X`` the first player's stones, ``O`` the
second's, ``.`` empty; with gravity the stones lie on the bottom rows — and the player to move
follows from the stones (``X`` when both have as many).

The optimal moves are the solver's (:mod:`.theory`) and are *unambiguous*: in every position
the moves that keep the game's value are exactly the moves that keep its score, so "the right
move" does not depend on whether one prefers fast wins. ``tests/test_board.py`` checks the
table against the solver both ways. A move names a cell (``r·n + c``) without gravity, a
column with it.

- :data:`TACTICS`: ``Tactic(params, position, optimal)`` — the rules' parameters (for
  ``KInARow(**params)``), the position row, the optimal moves;
- :data:`NAMES`: what each position tests, in the same order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .rules import KInARow

__all__ = ["NAMES", "TACTICS", "Tactic"]

TIC_TAC_TOE = {"m": 3, "n": 3, "k": 3, "gravity": False}
CONNECT_4X5 = {"m": 4, "n": 5, "k": 4, "gravity": True}
CONNECT_5X4 = {"m": 5, "n": 4, "k": 4, "gravity": True}


class Tactic(NamedTuple):
    """One tactical position: the game, the position and its optimal moves."""

    params: dict[str, Any]
    position: np.ndarray
    optimal: tuple[int, ...]


#: (what it tests, the game, the board, its optimal moves)
_TABLE: list[tuple[str, dict[str, Any], str, tuple[int, ...]]] = [
    ("X wins in one along the top row (O threatens too)", TIC_TAC_TOE, "XX. OO. ...", (2,)),
    ("O wins in one down the left column", TIC_TAC_TOE, "OXX OX. ...", (6,)),
    ("X wins in one on the anti-diagonal, blocking O", TIC_TAC_TOE, "O.X OX. ...", (6,)),
    ("O blocks X's row", TIC_TAC_TOE, "XX. .O. ...", (2,)),
    ("O blocks X's diagonal", TIC_TAC_TOE, "X.O .X. ...", (8,)),
    ("O avoids the fork: an edge, never a corner", TIC_TAC_TOE, "X.. .O. ..X", (1, 3, 5, 7)),
    ("X blocks O's diagonal and forks with the same move", TIC_TAC_TOE, "X.O .O. ..X", (6,)),
    ("X forks after O answered the corner on an edge", TIC_TAC_TOE, "XO. ... ...", (3, 4, 6)),
    ("X's only winning move against the far corner", TIC_TAC_TOE, ".X. ... ..O", (2,)),
    ("X forks after O answered the corner on a far edge", TIC_TAC_TOE, "X.. ... .O.", (2, 4, 6)),
    ("X makes two threats on the bottom row", CONNECT_4X5, "..... ..... .OO.. .XX..", (3,)),
    ("O blocks X's bottom row", CONNECT_4X5, "..... ..... OO... XXX..", (3,)),
    ("O blocks X's column", CONNECT_4X5, "..... ..X.. O.X.. O.X..", (2,)),
    ("O blocks X's bottom row on a 5 × 4 board", CONNECT_5X4, ".... .... .... O.O. XXX.", (3,)),
    ("X wins in one on the bottom row of 5 × 4", CONNECT_5X4, ".... .... .O.. .OO. XXX.", (3,)),
]

NAMES: tuple[str, ...] = tuple(name for name, *_ in _TABLE)
TACTICS: list[Tactic] = [
    Tactic(dict(params), KInARow(**params).from_text(board), optimal)
    for _, params, board, optimal in _TABLE
]
