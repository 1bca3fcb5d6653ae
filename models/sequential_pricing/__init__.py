"""Klein's (2021) sequential pricing: two Q-learning firms that reprice in turn.

- :mod:`socialrl_models.sequential_pricing.theory`: the market (homogeneous good, demand
  ``1 − p``, a price grid), its joint-profit maximum and static equilibria.
- :mod:`socialrl_models.sequential_pricing.model`: :class:`SequentialPricingModel`, M
  alternating duopolies as one Mesa model (a :class:`~socialrl.capabilities.TurnTaking`
  model: learners learn between their own moves, :mod:`socialrl.turns`).
- :mod:`socialrl_models.sequential_pricing.learned`: the greedy outcome — focal price or cycle.
- :mod:`socialrl_models.sequential_pricing.summary`: a study's outcomes ± s.e. over markets.
"""

from .model import SequentialPricingModel
from .summary import study_summary
from .theory import KleinMarket, price_grid, profits, static_equilibria

__all__ = [
    "KleinMarket",
    "SequentialPricingModel",
    "price_grid",
    "profits",
    "static_equilibria",
    "study_summary",
]
