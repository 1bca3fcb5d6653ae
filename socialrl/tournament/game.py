"""The stage game of a tournament: a symmetric 2 × 2 game, by default Axelrod's prisoner's dilemma.

Actions are coded ``C = 0`` (cooperate) and ``D = 1`` (defect) everywhere in the package, so a
seat's payoff is one lookup ``payoffs[own, other]`` over whole arrays of moves. The default is
the payoff of Axelrod's tournaments and of the ``axelrod`` library's ``Game()``: R = 3 (mutual
cooperation), S = 0 (sucker), T = 5 (temptation), P = 1 (mutual defection).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["NONE", "C", "D", "Game"]

#: Cooperate.
C = 0
#: Defect.
D = 1
#: No move yet (what a history holds before the first turn).
NONE = -1


@dataclass(frozen=True)
class Game:
    """A symmetric 2 × 2 game: what the row player gets for each pair of moves.

    Attributes:
        R: Reward for mutual cooperation (C, C).
        S: Sucker's payoff: cooperating against a defector (C, D).
        T: Temptation: defecting against a cooperator (D, C).
        P: Punishment for mutual defection (D, D).

    The column player's payoff is the same table read the other way round (symmetry), so a
    tournament needs no bimatrix. Any 2 × 2 symmetric game is allowed (a stag hunt, chicken);
    the ordering ``T > R > P > S`` of a prisoner's dilemma is not required.

    """

    R: float = 3.0
    S: float = 0.0
    T: float = 5.0
    P: float = 1.0

    def __post_init__(self) -> None:
        for key in ("R", "S", "T", "P"):
            value = getattr(self, key)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"game payoff {key} must be a finite number, got {value!r}")

    @property
    def matrix(self) -> np.ndarray:
        """``float64[2, 2]``: ``matrix[own, other]`` (rows and columns C, D)."""
        return np.array([[self.R, self.S], [self.T, self.P]], dtype=np.float64)

    def payoffs(self, own: np.ndarray, other: np.ndarray) -> np.ndarray:
        """What each seat gets for its move ``own`` against ``other`` (arrays of C/D codes)."""
        return self.matrix[own, other]

    @property
    def generosity(self) -> float:
        """Generous tit-for-tat's forgiveness: ``min(1 − (T − R)/(R − S), (R − P)/(T − P))``.

        Nowak & Sigmund's (1992) bound, the ``axelrod`` library's default for ``GTFT``: the
        largest probability of cooperating after a defection that still leaves a defector no
        gain (1/3 in the default game).
        """
        return min(1 - (self.T - self.R) / (self.R - self.S), (self.R - self.P) / (self.T - self.P))
