"""Self-play leagues: frozen snapshots of a learner as its opponents, and ratings over training.

A population group declared as a *league opponent* of a learning group
(:class:`LeagueOpponent`; in a study, ``league = { of = "learner", … }`` on the group) is
played by frozen snapshots of that group's learner, taken every ``snapshot_every`` steps:

- :mod:`~socialrl.run.league.settings` — what a league declares (typed, validated);
- :mod:`~socialrl.run.league.opponent` — the league opponent, a learner-protocol group player;
- :mod:`~socialrl.run.league.fictitious_self_play` — which snapshot plays next: the latest,
  uniform (fictitious self-play) or prioritised (PFSP);
- :mod:`~socialrl.run.league.games` — who won: the games of paired agents;
- :mod:`~socialrl.run.league.evaluation` — evaluation matches in a model of their own;
- :mod:`~socialrl.run.league.ratings` — openskill ratings over training;
- :mod:`~socialrl.run.league.league` and :mod:`~socialrl.run.league.leagues` — one league, and
  the run's leagues as the run loop drives them.
"""

from socialrl.run.league.fictitious_self_play import choose_snapshot, pfsp_weights, win_probability
from socialrl.run.league.games import PairedGames, game_results
from socialrl.run.league.league import League
from socialrl.run.league.leagues import Leagues, prepare_leagues
from socialrl.run.league.opponent import LeagueOpponent
from socialrl.run.league.ratings import RatingPool
from socialrl.run.league.settings import AnchorSettings, LeagueSettings, RatingSettings

__all__ = [
    "AnchorSettings",
    "League",
    "LeagueOpponent",
    "LeagueSettings",
    "Leagues",
    "PairedGames",
    "RatingPool",
    "RatingSettings",
    "choose_snapshot",
    "game_results",
    "pfsp_weights",
    "prepare_leagues",
    "win_probability",
]
