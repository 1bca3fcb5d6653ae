"""Alternating-offers bargaining (Rubinstein 1982) and the ultimatum game, with their theory.

- :mod:`socialrl_models.bargaining.rules`: :class:`AlternatingOffers`, the game's rules as
  batched functions a planner can simulate (:class:`socialrl.games.GameRules`).
- :mod:`socialrl_models.bargaining.theory`: the subgame-perfect equilibrium by backward
  induction (the exact solver), Ståhl's finite and Rubinstein's infinite-horizon shares.
- :mod:`socialrl_models.bargaining.model`: :class:`BargainingModel`, many games as one Mesa
  model (turn-taking, legal-move masks, the rules for planners).
- :mod:`socialrl_models.bargaining.strategies`: :class:`SPEPlayer`, subgame-perfect play as a
  population member.
- :mod:`socialrl_models.bargaining.summary`: a study's opening offers ± s.e. over games.
"""

from .model import BargainingModel
from .rules import AlternatingOffers
from .strategies import SPEPlayer
from .summary import study_summary
from .theory import exact_values, rubinstein_share, solve, spe_offer, spe_path, stahl_share

__all__ = [
    "AlternatingOffers",
    "BargainingModel",
    "SPEPlayer",
    "exact_values",
    "rubinstein_share",
    "solve",
    "spe_offer",
    "spe_path",
    "stahl_share",
    "study_summary",
]
