"""Ratings over training: a pool of openskill ratings, updated game by game.

Each player has a rating ``N(μ, σ²)`` of its skill (Weng & Lin 2011, "A Bayesian
approximation method for online ranking", the model behind ``openskill``; Plackett–Luce here).
After every game both players' ratings move towards what the result says, the more the less
certain they are. ``ordinal = μ − 3σ`` is the conservative estimate leaderboards sort by: a
player that has played little is not ranked above one that is known to be good.

Who plays: fixed *anchors* (random play, a scripted strategy, an exact solver), whose ratings
settle as games accumulate, and the learner at each rating step, entered as a new player
``learner@<step>`` — its rating says how strong the learner was *then*, not a mixture of all
it has been. Ratings are relative to the pool: an anchor's number is only meaningful beside
the others'.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from openskill.models import PlackettLuce

__all__ = ["RATING_COLUMNS", "RatingPool", "empty_ratings"]

#: The ratings table's columns (one row per player and rating step).
RATING_COLUMNS: dict[str, Any] = {
    "group": object,
    "step": np.int64,
    "player": object,
    "kind": object,
    "mu": np.float64,
    "sigma": np.float64,
    "ordinal": np.float64,
    "games": np.int64,
    "wins": np.int64,
    "draws": np.int64,
    "losses": np.int64,
}


class RatingPool:
    """openskill ratings of named players, with each player's games, wins, draws and losses."""

    def __init__(self) -> None:
        self.model = PlackettLuce()
        self._ratings: dict[str, Any] = {}
        self._kinds: dict[str, str] = {}
        self._record: dict[str, np.ndarray] = {}  # wins, draws, losses

    def enter(self, player: str, kind: str) -> None:
        """Add a player at the model's prior (μ = 25, σ = 25/3), unless it is there already."""
        if player not in self._ratings:
            self._ratings[player] = self.model.rating(name=player)
            self._kinds[player] = kind
            self._record[player] = np.zeros(3, dtype=np.int64)

    def play(self, first: str, second: str, results: np.ndarray) -> None:
        """Update both ratings after each game in turn (+1: ``first`` won, 0 drawn, −1 lost)."""
        a, b = self._ratings[first], self._ratings[second]
        for result in np.asarray(results, dtype=np.int64).tolist():
            ranks = [1.0, 1.0] if result == 0 else ([1.0, 2.0] if result > 0 else [2.0, 1.0])
            [[a], [b]] = self.model.rate([[a], [b]], ranks=ranks)
        self._ratings[first], self._ratings[second] = a, b
        results = np.asarray(results)
        won, drawn, lost = (int((results == r).sum()) for r in (1, 0, -1))
        self._record[first] += (won, drawn, lost)
        self._record[second] += (lost, drawn, won)

    def ordinal(self, player: str) -> float:
        """``μ − 3σ`` of a player."""
        return float(self._ratings[player].ordinal())

    def rows(self, group: str, step: int, current: str) -> pd.DataFrame:
        """Every player's rating now, one row each; ``current`` is shown as ``"learner"``.

        The learner's line over training is then one player, ``learner``, while each of its
        earlier copies keeps its own row as ``learner@<step>`` (kind ``past``).
        """
        players = list(self._ratings)
        record = np.array([self._record[p] for p in players]).reshape(-1, 3)
        return pd.DataFrame(
            {
                "group": group,
                "step": np.full(len(players), step, dtype=np.int64),
                "player": ["learner" if p == current else p for p in players],
                "kind": ["learner" if p == current else self._kinds[p] for p in players],
                "mu": [float(self._ratings[p].mu) for p in players],
                "sigma": [float(self._ratings[p].sigma) for p in players],
                "ordinal": [self.ordinal(p) for p in players],
                "games": record.sum(axis=1),
                "wins": record[:, 0],
                "draws": record[:, 1],
                "losses": record[:, 2],
            }
        )


def empty_ratings() -> pd.DataFrame:
    """The ratings table with no rows (its columns and types)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in RATING_COLUMNS.items()})
