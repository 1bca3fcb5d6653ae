"""Coordination games: populations of players on grids, networks and random matching."""

from models.coordination.games import (
    ZOO,
    Game,
    GameError,
    get_game,
    mixed_nash,
    payoff_dominant,
    pure_nash,
    reference_payoff,
    risk_dominant,
    strict_pure_nash,
)
from models.coordination.model import CoordinationModel
from models.coordination.strategies import TitForTat, WinStayLoseShift
from models.coordination.topology import TopologyError

__all__ = [
    "ZOO",
    "CoordinationModel",
    "Game",
    "GameError",
    "TitForTat",
    "TopologyError",
    "WinStayLoseShift",
    "get_game",
    "mixed_nash",
    "payoff_dominant",
    "pure_nash",
    "reference_payoff",
    "risk_dominant",
    "strict_pure_nash",
]
