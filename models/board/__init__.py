"""m × n, k-in-a-row board games (tic-tac-toe, small Connect Four) and their exact solution.

- :mod:`socialrl_models.board.rules`: :class:`KInARow`, the rules on batches of positions
  (:class:`socialrl.games.GameRules`: what a tree search simulates).
- :mod:`socialrl_models.board.theory`: exact values and optimal moves by alpha-beta search.
- :mod:`socialrl_models.board.tactics`: tactical positions with their optimal moves.
- :mod:`socialrl_models.board.solver_policy`: :class:`PerfectPlayer`, the solver as a player.
- :mod:`socialrl_models.board.model`: :class:`BoardGameModel`, many games as one Mesa model.
- :mod:`socialrl_models.board.summary`: a study's win, draw and loss shares ± 95% CI.
"""

from .model import BoardGameModel
from .rules import KInARow
from .solver_policy import PerfectPlayer
from .summary import study_summary
from .tactics import NAMES, TACTICS, Tactic
from .theory import Solver, optimal_moves, reachable_positions, score, solve, solver_for, values

__all__ = [
    "NAMES",
    "TACTICS",
    "BoardGameModel",
    "KInARow",
    "PerfectPlayer",
    "Solver",
    "Tactic",
    "optimal_moves",
    "reachable_positions",
    "score",
    "solve",
    "solver_for",
    "study_summary",
    "values",
]
