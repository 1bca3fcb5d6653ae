"""The sequential market's agents: two firms per market that reprice in turn.

A firm is a real Mesa agent, but its price and profit live in the model's arrays so that
thousands of markets step in a few vectorized operations. ``market`` and ``firm`` are what a
population selects on: ``Group(QLearning(), role="firm", agents={"firm": 0})`` gives the
first mover of every market its own learner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from .model import SequentialPricingModel

__all__ = ["Firm"]


class Firm(mesa.Agent):
    """One firm of one alternating duopoly (role ``firm``).

    Args:
        model: The market model.
        slot: Its index in the role's batch, ``2 · market + firm``.
        market: The market (session) it sells in.
        firm: Its seat, 0 (moves in even periods) or 1 (odd periods).

    """

    role = "firm"

    def __init__(self, model: SequentialPricingModel, slot: int, market: int, firm: int) -> None:
        super().__init__(model)
        self.slot, self.market, self.firm = slot, market, firm

    @property
    def sequential(self) -> SequentialPricingModel:
        """The model, typed as the sequential market."""
        return self.model

    @property
    def price(self) -> float:
        """Its current price."""
        return float(self.sequential.prices()[self.market, self.firm])

    @property
    def profit(self) -> float:
        """Its profit last period."""
        return float(self.sequential.last_profits()[self.slot])
