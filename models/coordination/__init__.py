"""Coordination games: populations of players on grids, networks and random matching."""

from .games import (
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
from .model import CoordinationModel
from .strategies import TitForTat, WinStayLoseShift
from .structures import Grid, Network, Structure, WellMixed
from .topology import TopologyError

__all__ = [
    "ZOO",
    "CoordinationModel",
    "Game",
    "GameError",
    "Grid",
    "Network",
    "Structure",
    "TitForTat",
    "TopologyError",
    "WellMixed",
    "WinStayLoseShift",
    "get_game",
    "mixed_nash",
    "payoff_dominant",
    "pure_nash",
    "reference_payoff",
    "risk_dominant",
    "strict_pure_nash",
]
