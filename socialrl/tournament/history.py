"""What the seats of one player know at a turn: the moves so far, read over many matches at once.

A tournament plays all its matches in one batch. Every match has two *seats*; seat ``s`` sits
opposite seat ``s ^ 1``, and the realised moves of all seats (after noise) are one array
``moves[seats, turns]``. A player's strategy does not see that array: it gets a
:class:`History`, the view of its own seats, and asks it for what it needs: its own or the
opponent's move ``k`` turns back, or how often each side has defected. Each query costs one
gather over the player's seats, so a turn of the whole tournament is a few array operations per
player, never a Python loop over matches.

The moves a history holds are the *realised* ones, as in the ``axelrod`` library: when noise
flips an intended cooperation into a defection, both players remember a defection.
"""

from __future__ import annotations

import numpy as np

from socialrl.tournament.game import NONE, Game

__all__ = ["History"]


class History:
    """The view of one player's seats at turn ``turn`` (moves ``0 … turn − 1`` are known).

    Args:
        moves: ``int8[seats, turns]``, every seat's realised moves (C = 0, D = 1).
        defections: ``int64[seats]``, each seat's defections so far.
        seats: This player's seats (indices into ``moves``).
        turn: The turn about to be played (0: the first).
        game: The stage game (some strategies read its payoffs).

    """

    __slots__ = ("_defections", "_moves", "_opponents", "game", "seats", "turn")

    def __init__(
        self,
        moves: np.ndarray,
        defections: np.ndarray,
        seats: np.ndarray,
        turn: int,
        game: Game,
    ) -> None:
        self._moves = moves
        self._defections = defections
        self.seats = seats
        self._opponents = seats ^ 1
        self.turn = turn
        self.game = game

    @property
    def n(self) -> int:
        """How many seats (matches) this view covers."""
        return int(self.seats.shape[0])

    def own(self, back: int = 1) -> np.ndarray:
        """The player's own move ``back`` turns ago, ``int8[n]``; ``NONE`` (−1) before the start."""
        return self._column(self.seats, back)

    def opponent(self, back: int = 1) -> np.ndarray:
        """The opponent's move ``back`` turns ago, ``int8[n]``; ``NONE`` (−1) before the start."""
        return self._column(self._opponents, back)

    @property
    def own_defections(self) -> np.ndarray:
        """How often this player has defected so far, ``int64[n]``."""
        return self._defections[self.seats]

    @property
    def opponent_defections(self) -> np.ndarray:
        """How often the opponent has defected so far, ``int64[n]``."""
        return self._defections[self._opponents]

    def _column(self, rows: np.ndarray, back: int) -> np.ndarray:
        if back < 1:
            raise ValueError(f"back must be at least 1 (a past turn), got {back}")
        if back > self.turn:
            return np.full(rows.shape[0], NONE, dtype=np.int8)
        return self._moves[rows, self.turn - back]
