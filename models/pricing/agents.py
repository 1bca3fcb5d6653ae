"""The pricing market's agents: firms.

A firm is a real Mesa agent, but its per-period state (its price history, its last profit)
lives in the model's arrays so that thousands of markets step in a few vectorized operations.
Its attributes are read-only views of those arrays. ``market`` and ``firm`` are what a
population selects on: ``Group(DQN(), role="firm", agents={"firm": 0})`` gives the first firm
of every market its own learner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from .model import PricingModel

__all__ = ["Firm"]


class Firm(mesa.Agent):
    """One firm of one market (role ``firm``).

    Args:
        model: The pricing model.
        slot: Its index in the role's batch, ``market · n_firms + firm``.
        market: The market (session) it sells in.
        firm: Its seat in that market, ``0 … n_firms − 1``.

    """

    role = "firm"

    def __init__(self, model: PricingModel, slot: int, market: int, firm: int) -> None:
        super().__init__(model)
        self.slot, self.market, self.firm = slot, market, firm

    @property
    def pricing(self) -> PricingModel:
        """The model, typed as a pricing market."""
        return self.model

    @property
    def price(self) -> float:
        """The price the firm set last period."""
        return float(self.pricing.prices()[self.market, self.firm])

    @property
    def profit(self) -> float:
        """The firm's profit last period (0 before the first period)."""
        return float(self.pricing.last_profits()[self.slot])

    @property
    def active(self) -> bool:
        """Whether the firm's market still plays (it stops once the market has converged)."""
        return bool(self.pricing.active("firm")[self.slot])
