"""The dynamic pricing market of Calvano et al. (2020): firms that learn to set prices.

- :mod:`socialrl_models.pricing.theory`: logit demand, Bertrand–Nash and monopoly benchmarks, the
grid.
- :mod:`socialrl_models.pricing.model`: :class:`PricingModel`, M markets × n firms as one Mesa
model.
- :mod:`socialrl_models.pricing.learned`: greedy cycles and impulse responses of what firms
learned.
- :mod:`socialrl_models.pricing.summary`: a study's profit gains and convergence next to the
published baseline.
- :mod:`socialrl_models.pricing.env`: ``socialrl/PricingMarket-v0`` and the PettingZoo view.
"""

from .learned import greedy_cycles, impulse_response
from .model import PricingModel
from .summary import PUBLISHED, study_summary
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
