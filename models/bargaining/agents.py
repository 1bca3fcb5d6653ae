"""The bargaining model's agents: two bargainers per game.

A bargainer is a real Mesa agent, but the positions of the games live in the model's arrays
so that thousands of games advance in a few vectorised operations. ``game`` and ``seat`` are
what a population selects on: ``Group(SPEPlayer(), agents={"seat": 1})`` makes every game's
responder of round 0 the subgame-perfect one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from .model import BargainingModel

__all__ = ["Bargainer"]


class Bargainer(mesa.Agent):
    """Player ``seat`` of game ``game`` (role ``player``; slot ``2 · game + seat``).

    Args:
        model: The bargaining model.
        slot: Its index in the role's batch.
        game: The game it plays.
        seat: 0 (proposes in even rounds, opens the game) or 1 (proposes in odd rounds).

    """

    role = "player"

    def __init__(self, model: BargainingModel, slot: int, game: int, seat: int) -> None:
        super().__init__(model)
        self.slot, self.game, self.seat = slot, game, seat

    @property
    def bargaining(self) -> BargainingModel:
        """The model, typed as the bargaining model."""
        return self.model

    @property
    def last_payoff(self) -> float:
        """Its payoff in its game's last finished round of bargaining (NaN before any)."""
        return float(self.bargaining.last_payoffs()[self.game, self.seat])
