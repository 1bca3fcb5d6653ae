"""The dynamic pricing market (Calvano et al. 2020): logit demand and its benchmarks.

So far the theory: demand, profits, Bertrand–Nash and monopoly prices, the price grid. The
Mesa model of M markets and the Calvano study come next (issue 5).
"""

from models.pricing.theory import (
    Benchmarks,
    LogitMarket,
    benchmarks,
    monopoly_prices,
    nash_prices,
    price_grid,
    profit_gain,
)

__all__ = [
    "Benchmarks",
    "LogitMarket",
    "benchmarks",
    "monopoly_prices",
    "nash_prices",
    "price_grid",
    "profit_gain",
]
