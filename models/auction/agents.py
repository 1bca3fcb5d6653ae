"""The auction model's agents: bidders.

A bidder is a real Mesa agent, but its per-period state (its last bid and payoff) lives in
the model's arrays so that thousands of auctions step in a few vectorized operations; its
attributes are read-only views of those arrays. ``market`` and ``bidder`` are what a
population selects on: ``Group(DQN(), role="bidder", agents={"bidder": 0})`` gives the first
bidder of every auction its own learner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from .model import AuctionModel

__all__ = ["Bidder"]


class Bidder(mesa.Agent):
    """One bidder of one repeated auction (role ``bidder``).

    Args:
        model: The auction model.
        slot: Its index in the role's batch, ``market · n_bidders + bidder``.
        market: The auction (session) it bids in.
        bidder: Its seat in that auction, ``0 … n_bidders − 1``.

    """

    role = "bidder"

    def __init__(self, model: AuctionModel, slot: int, market: int, bidder: int) -> None:
        super().__init__(model)
        self.slot, self.market, self.bidder = slot, market, bidder

    @property
    def auction(self) -> AuctionModel:
        """The model, typed as an auction."""
        return self.model

    @property
    def value(self) -> float:
        """What the item is worth to this bidder."""
        return float(self.auction.rules.values[self.bidder])

    @property
    def bid(self) -> float:
        """The bid it placed last period (0 before the first period)."""
        return float(self.auction.last_bids()[self.market, self.bidder])

    @property
    def payoff(self) -> float:
        """Its payoff last period: value minus price if it won, else 0."""
        return float(self.auction.last_payoffs()[self.slot])

    @property
    def active(self) -> bool:
        """Whether its auction still runs (it stops once the auction has converged)."""
        return bool(self.auction.active("bidder")[self.slot])
