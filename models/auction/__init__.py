"""Repeated sealed-bid auctions of Banchio & Skrzypacz (2022): bidders that learn to bid.

- :mod:`socialrl_models.auction.theory`: allocation, payments and payoffs (ties included),
  the pure one-shot equilibria on the grid, second-price truthful bidding as a dominant
  strategy.
- :mod:`socialrl_models.auction.model`: :class:`AuctionModel`, M auctions × n bidders as one
  Mesa model.
- :mod:`socialrl_models.auction.final_tables`: the greedy bids the bidders learned.
- :mod:`socialrl_models.auction.summary`: a study's bids, revenue and surplus ± s.e.
"""

from .model import AuctionModel
from .summary import study_summary
from .theory import (
    Auction,
    bid_grid,
    expected_payoffs,
    prices_paid,
    pure_equilibria,
    realised_payoffs,
    second_price_truthful_is_dominant,
    win_shares,
    winners,
)

__all__ = [
    "Auction",
    "AuctionModel",
    "bid_grid",
    "expected_payoffs",
    "prices_paid",
    "pure_equilibria",
    "realised_payoffs",
    "second_price_truthful_is_dominant",
    "study_summary",
    "win_shares",
    "winners",
]
