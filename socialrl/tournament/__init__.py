"""Axelrod-style tournaments among classic strategies and learners, and a Moran process on them.

The iterated prisoner's dilemma (or any symmetric 2 × 2 game) played the way Axelrod's
tournaments and the ``axelrod`` library play it, with the lab's learners as entrants:

- :mod:`~socialrl.tournament.game` — the stage game (default R, S, T, P = 3, 0, 5, 1);
- :mod:`~socialrl.tournament.history` — what a player's seats know: the moves so far;
- :mod:`~socialrl.tournament.players` — the player protocol (strategies and learners alike);
- :mod:`~socialrl.tournament.strategies` — classic strategies, each a short vectorised
  function of the histories (tit-for-tat, grudger, win-stay-lose-shift, GTFT, …);
- :mod:`~socialrl.tournament.learner_player` — any lab learner, seeing the last k turns and
  learning during each match;
- :mod:`~socialrl.tournament.match` — many matches at once, with noise and probabilistic ends;
- :mod:`~socialrl.tournament.round_robin` — every pair (self-play included) over repetitions,
  read into tidy tables with statistics over repetitions;
- :mod:`~socialrl.tournament.moran` — the Moran process over the tournament's payoffs:
  fixation probabilities simulated and in closed form;
- :mod:`~socialrl.tournament.spec` and :mod:`~socialrl.tournament.runner` — a tournament in a
  TOML file, checked before play, and its tables written (``socialrl tournament FILE.toml``).

The ``axelrod`` library is the test oracle: for the same deterministic players and turns, every
match's scores and the tournament's scores equal the library's (``tests/test_tournament.py``).
"""

from socialrl.tournament.game import C, D, Game
from socialrl.tournament.history import History
from socialrl.tournament.learner_player import LearnerPlayer
from socialrl.tournament.match import Matches, MatchSettings, play_matches
from socialrl.tournament.moran import (
    MoranSettings,
    fixation_probability,
    fixation_table,
    simulate,
)
from socialrl.tournament.players import Player, Seats
from socialrl.tournament.round_robin import TournamentResults, TournamentSettings, round_robin
from socialrl.tournament.strategies import STRATEGIES, Strategy, make_strategy

__all__ = [
    "STRATEGIES",
    "C",
    "D",
    "Game",
    "History",
    "LearnerPlayer",
    "MatchSettings",
    "Matches",
    "MoranSettings",
    "Player",
    "Seats",
    "Strategy",
    "TournamentResults",
    "TournamentSettings",
    "fixation_probability",
    "fixation_table",
    "make_strategy",
    "play_matches",
    "round_robin",
    "simulate",
]
