"""The dynamic pricing market of Calvano et al. (2020): firms that learn to set prices.

- :mod:`socialrl_models.pricing.theory`: logit demand, Bertrand–Nash and monopoly benchmarks, the
grid.
- :mod:`socialrl_models.pricing.model`: :class:`PricingModel`, M markets × n firms as one Mesa
model.
- :mod:`socialrl_models.pricing.analysis`: greedy cycles, profit gains, impulse responses,
summaries.
- :mod:`socialrl_models.pricing.env`: ``socialrl/PricingMarket-v0`` and the PettingZoo view.
"""

from .analysis import PUBLISHED, greedy_cycles, impulse_response, study_summary
from .model import PricingModel
from .theory import (
    Benchmarks,
    LogitMarket,
    benchmarks,
    monopoly_prices,
    nash_prices,
    price_grid,
    profit_gain,
)

__all__ = [
    "PUBLISHED",
    "Benchmarks",
    "LogitMarket",
    "PricingModel",
    "benchmarks",
    "greedy_cycles",
    "impulse_response",
    "monopoly_prices",
    "nash_prices",
    "price_grid",
    "profit_gain",
    "study_summary",
]
