"""The board model's agents: two players per game, one per seat.

A player is a real Mesa agent, but the boards live in the model's position array so that
thousands of games step in a few vectorised operations. ``game`` and ``seat`` are what a
population selects on: ``Group(PerfectPlayer(), role="player", agents={"seat": 1})`` seats
the exact solver second in every game, and a study writes ``agents = { seat = 1 }``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from .model import BoardGameModel

__all__ = ["Player"]


class Player(mesa.Agent):
    """One seat of one game (role ``player``).

    Args:
        model: The board model.
        slot: Its index in the role's batch, ``2 · game + seat``.
        game: The game (board) it plays at.
        seat: 0 or 1; the model's ``first`` seat moves first (stones ``X``, 1 in a position
            row), the other second (``O``, 2).

    """

    role = "player"

    def __init__(self, model: BoardGameModel, slot: int, game: int, seat: int) -> None:
        super().__init__(model)
        self.slot, self.game, self.seat = slot, game, seat

    @property
    def board(self) -> BoardGameModel:
        """The model, typed as the board model."""
        return self.model

    @property
    def to_move(self) -> bool:
        """Whether it moves next in its game."""
        return bool(self.board.mover_seats()[self.game] == self.seat)

    @property
    def reward(self) -> float:
        """Its reward in the last step (+1 win, −1 loss at a game's end; else 0)."""
        return float(self.board.last_rewards()[self.slot])
