"""Axelrod's round robin: every player meets every player, itself included, several times over.

As in Axelrod's tournaments and the ``axelrod`` library (``axelrod.Tournament``), each unordered
pair of players, self-pairs included, plays one match per repetition; self-play is a match
between two independent copies. All the tournament's matches are played as one batch
(:func:`~socialrl.tournament.match.play_matches`), then read into tidy tables:

- ``matches``: one row per match side (``repetition, match, seat, player, opponent, turns,
  score, opponent_score, score_per_turn, win, cooperation_rate``), self-play included;
- ``scores``: one row per player and repetition, over the matches against the *other* players
  (self-play left out, as the library does): the total ``score``, the **normalised score**
  ``score_per_turn`` (the mean over opponents of the payoff per turn: Axelrod's measure),
  ``wins`` (matches won outright) and ``cooperation_rate``;
- ``ranking``: one row per player: its rank (by the median normalised score over
  repetitions, the library's rule), and the mean, s.d., n and 95% interval of the normalised
  score over repetitions, the unit of analysis (:mod:`socialrl.statistics`), with mean wins;
- ``payoffs``: one row per (player, opponent): the mean payoff per turn over repetitions, with
  s.d., n and interval: the payoff matrix a Moran process runs on
  (:mod:`socialrl.tournament.moran`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from socialrl.statistics import across_runs
from socialrl.tournament.game import Game
from socialrl.tournament.match import Matches, MatchSettings, play_matches
from socialrl.tournament.players import Player

__all__ = ["TournamentResults", "TournamentSettings", "round_robin"]


@dataclass(frozen=True)
class TournamentSettings:
    """How a round robin is played (the ``axelrod`` library's defaults but for repetitions).

    Attributes:
        turns: Turns per match (the most, with ``prob_end``).
        repetitions: How often each pair meets: the round robin's independent replications.
        noise: Probability that each intended move is flipped.
        prob_end: Probability that a match ends after each turn (None: fixed length).
        game: The stage game.

    """

    turns: int = 200
    repetitions: int = 10
    noise: float = 0.0
    prob_end: float | None = None
    game: Game = field(default_factory=Game)

    def __post_init__(self) -> None:
        reps = self.repetitions
        if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
            raise ValueError(f"repetitions must be a whole number ≥ 1, got {reps!r}")
        MatchSettings(self.turns, self.noise, self.prob_end, self.game)  # checks them now

    @property
    def match(self) -> MatchSettings:
        """The settings of each match."""
        return MatchSettings(self.turns, self.noise, self.prob_end, self.game)


@dataclass(frozen=True)
class TournamentResults:
    """The tables of one round robin (see the module docstring) and its players' names."""

    names: tuple[str, ...]
    matches: pd.DataFrame
    scores: pd.DataFrame
    ranking: pd.DataFrame
    payoffs: pd.DataFrame

    def payoff_matrix(self) -> np.ndarray:
        """``float64[K, K]``: mean payoff per turn of row player against column player."""
        wide = self.payoffs.pivot(index="player", columns="opponent", values="score_per_turn")
        return wide.loc[list(self.names), list(self.names)].to_numpy(dtype=np.float64)

    def summary(self) -> pd.DataFrame:
        """The ranking in a few columns (what ``socialrl tournament`` prints)."""
        r = self.ranking
        return pd.DataFrame(
            {
                "rank": r["rank"],
                "player": r["player"].astype(str),
                "median": r["median_score_per_turn"].round(3),
                "mean": r["score_per_turn"].round(3),
                "±95%": ((r["ci95_high"] - r["ci95_low"]) / 2).round(3),
                "n": r["n"],
                "wins": r["wins"].round(2),
                "coop": r["cooperation_rate"].round(3),
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by name."""
        return {
            "matches": self.matches,
            "scores": self.scores,
            "ranking": self.ranking,
            "payoffs": self.payoffs,
        }


def round_robin(
    players: Sequence[Player],
    settings: TournamentSettings | None = None,
    seed: int | np.random.SeedSequence = 0,
) -> TournamentResults:
    """Play the round robin of ``players`` and tabulate it.

    Raises:
        ValueError: fewer than two players, or two with the same name.

    """
    settings = settings or TournamentSettings()
    names = tuple(p.name for p in players)
    if len(names) < 2:
        raise ValueError(f"a tournament needs at least 2 players, got {len(names)}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"players must have distinct names; given twice: {', '.join(twice)}")
    upper = np.array([(i, j) for i in range(len(names)) for j in range(i, len(names))])
    pairs = np.tile(upper, (settings.repetitions, 1))
    repetition = np.repeat(np.arange(settings.repetitions), upper.shape[0])
    played = play_matches(players, pairs, settings.match, seed)
    matches = match_table(names, played, repetition)
    scores = score_table(matches)
    return TournamentResults(
        names=names,
        matches=matches,
        scores=scores,
        ranking=ranking_table(scores),
        payoffs=payoff_table(matches),
    )


def match_table(names: Sequence[str], played: Matches, repetition: np.ndarray) -> pd.DataFrame:
    """One row per match side: who played whom, how long, what each scored, who won."""
    n = played.pairs.shape[0]
    seat = np.tile([0, 1], n)
    index = played.pairs.reshape(-1)
    other = played.pairs[:, ::-1].reshape(-1)
    score = played.scores.reshape(-1)
    opponent_score = played.scores[:, ::-1].reshape(-1)
    turns = np.repeat(played.lengths, 2)
    kind = pd.CategoricalDtype(list(names), ordered=True)
    return pd.DataFrame(
        {
            "repetition": np.repeat(repetition, 2),
            "match": np.repeat(np.arange(n), 2),
            "seat": seat,
            "player": pd.Categorical.from_codes(index, dtype=kind),
            "opponent": pd.Categorical.from_codes(other, dtype=kind),
            "turns": turns,
            "score": score,
            "opponent_score": opponent_score,
            "score_per_turn": score / turns,
            "win": score > opponent_score,
            "cooperation_rate": played.cooperations.reshape(-1) / turns,
        }
    )


def score_table(matches: pd.DataFrame) -> pd.DataFrame:
    """Per player and repetition, against the others: score, normalised score, wins."""
    others = matches[matches["player"] != matches["opponent"]]
    grouped = others.groupby(["player", "repetition"], observed=True)
    return grouped.agg(
        score=("score", "sum"),
        score_per_turn=("score_per_turn", "mean"),
        wins=("win", "sum"),
        cooperation_rate=("cooperation_rate", "mean"),
    ).reset_index()


def ranking_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Rank by the median normalised score (ties: list order), with statistics over repetitions.

    The median is the ``axelrod`` library's ranking rule (robust to a rare repetition); the
    mean, s.d., n and 95% interval are the lab's one implementation of statistics over units,
    the unit being a repetition of the round robin.
    """
    stats = across_runs(scores, "score_per_turn", by=["player"])
    grouped = scores.groupby("player", observed=True)
    stats = stats.set_index("player")
    stats.insert(0, "median_score_per_turn", grouped["score_per_turn"].median())
    stats["wins"] = grouped["wins"].mean()
    stats["cooperation_rate"] = grouped["cooperation_rate"].mean()
    stats = stats.rename(columns={"mean": "score_per_turn"})
    order = sorted(range(len(stats)), key=lambda i: -stats["median_score_per_turn"].iloc[i])
    ranked = stats.iloc[order].reset_index()
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    return ranked


def payoff_table(matches: pd.DataFrame) -> pd.DataFrame:
    """Mean payoff per turn of each player against each opponent (itself included).

    A repetition's value is the mean over the pair's match sides (both seats of a self-play
    match), then the statistics run over repetitions.
    """
    per_repetition = (
        matches.groupby(["player", "opponent", "repetition"], observed=True)["score_per_turn"]
        .mean()
        .reset_index()
    )
    return across_runs(per_repetition, "score_per_turn", by=["player", "opponent"]).rename(
        columns={"mean": "score_per_turn"}
    )
