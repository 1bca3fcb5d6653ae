"""The leagues of a run: found in its population, checked, driven by the run loop.

The run loop calls :func:`prepare_leagues` before it binds the population (to keep a fresh
copy of every group's learner: the class and hyperparameters its snapshots are rebuilt from),
:meth:`Leagues.start` once the population is bound, :meth:`Leagues.after_step` after every
step, and :meth:`Leagues.tables` at the end: a ``league`` table (one row per snapshot) and,
where the league rates its learner, a ``ratings`` table (one row per player and rating step)
and a ``rating_matches`` table (one row per evaluation match: who met whom, with what result).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from socialrl.contract import MultiAgentModel, RoleStep
from socialrl.learners.base import Learner
from socialrl.population import Population
from socialrl.run.league.evaluation import Arena, Entrant
from socialrl.run.league.league import League, Seat
from socialrl.run.league.opponent import LeagueOpponent
from socialrl.run.league.ratings import empty_ratings
from socialrl.run.league.settings import LeagueSettings

__all__ = ["Leagues", "prepare_leagues"]


def prepare_leagues(population: Population) -> list[Learner] | None:
    """Fresh copies of every group's learner, before binding; None without league opponents.

    A snapshot is the learner's state loaded into a *fresh* instance of its class: copying
    the learner before it is bound copies its hyperparameters only, not its tables.
    """
    if not any(isinstance(g.learner, LeagueOpponent) for g in population.groups):
        return None
    return [copy.deepcopy(g.learner) for g in population.groups]


class Leagues:
    """Every league of a run, one per league opponent group of its population.

    Args:
        leagues: The leagues.

    """

    def __init__(self, leagues: list[League]) -> None:
        self.leagues = leagues

    @classmethod
    def start(
        cls,
        templates: list[Learner],
        world: MultiAgentModel,
        population: Population,
        model: str | Callable[..., Any],
        params: Mapping[str, Any] | None,
        steps: int | None,
        seed: np.random.SeedSequence,
    ) -> Leagues:
        """Check every league of the bound population, take the first snapshots, rate.

        Raises:
            ValueError: one line, for a league whose group is unknown, itself a league, of
                another role or size, or whose intervals are longer than the run.

        """
        seats = [
            Seat(k, name, role, learner, _slots(world, role, idx))
            for k, (name, role, learner, idx) in enumerate(population.bound_groups)
        ]
        by_name = {seat.name: seat for seat in seats}
        opponents = [seat for seat in seats if isinstance(seat.player, LeagueOpponent)]
        leagues: list[League] = []
        frozen = _Frozen(seats, templates, leagues)
        for seat, league_seed in zip(opponents, seed.spawn(len(opponents)), strict=True):
            settings = _settings(seat)
            _check_intervals(seat.name, settings.snapshot_every, settings.ratings, steps)
            learner = _learning_seat(seat, by_name)
            match_steps = 1 if settings.ratings is None else settings.ratings.steps
            arena = Arena(model, dict(params or {}), frozen.groups(), match_steps)
            leagues.append(
                League(
                    learner,
                    seat,
                    templates[learner.index],
                    world,
                    arena,
                    frozen.entrants,
                    league_seed,
                )
            )
        for league in leagues:  # every league's first snapshot plays before anyone is rated
            league.begin()
        for league in leagues:
            if league.ratings is not None:
                league.rate(0)
        return cls(leagues)

    def after_step(self, t: int, outcome: dict[str, RoleStep]) -> None:
        """Hand step ``t``'s outcome to every league."""
        for league in self.leagues:
            league.after_step(t, outcome)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The ``league`` table; with ratings, also ``ratings`` and ``rating_matches``.

        ``rating_matches`` has one row per evaluation match: the rating step, the player on the
        learner's agents (``learner``: the learner then; an anchor in the anchors' first games
        against each other), its opponent, and its games, wins, draws and losses.
        """
        tables = {
            "league": pd.concat([lg.league_table() for lg in self.leagues], ignore_index=True)
        }
        rated = [table for lg in self.leagues for table in lg.rated]
        if rated:
            tables["ratings"] = pd.concat([empty_ratings(), *rated], ignore_index=True)
            matches = [row for lg in self.leagues for row in lg.matches]
            tables["rating_matches"] = pd.DataFrame(matches)
        return tables


class _Frozen:
    """Entrants for the groups a match does not pit against each other: frozen as they are."""

    def __init__(self, seats: list[Seat], templates: list[Learner], leagues: list[League]):
        self.seats, self.templates, self.leagues = seats, templates, leagues

    def groups(self) -> list[tuple[str, str, np.ndarray | None]]:
        """``(name, role, slots)`` of every group, as evaluation matches seat them."""
        return [(seat.name, seat.role, seat.slots) for seat in self.seats]

    def entrants(self, skip: set[int]) -> dict[int, Entrant]:
        """A frozen copy of each group's player now, except the groups in ``skip``."""
        out: dict[int, Entrant] = {}
        for seat in self.seats:
            if seat.index in skip:
                continue
            if isinstance(seat.player, LeagueOpponent):  # another league: its snapshot now
                league = next(lg for lg in self.leagues if lg.opponent.index == seat.index)
                out[seat.index] = Entrant.frozen(seat.name, league.template, league.playing_state())
            else:
                state = seat.player.state_dict()
                out[seat.index] = Entrant.frozen(seat.name, self.templates[seat.index], state)
        return out


def _slots(world: MultiAgentModel, role: str, idx: np.ndarray | None) -> np.ndarray:
    """A group's agent slots (every agent of the role where it holds them all)."""
    return np.arange(world.roles[role].n_agents) if idx is None else np.asarray(idx)


def _settings(seat: Seat) -> LeagueSettings:
    player = seat.player
    assert isinstance(player, LeagueOpponent)
    return player.settings


def _learning_seat(seat: Seat, by_name: dict[str, Seat]) -> Seat:
    """The group whose snapshots drive ``seat``, checked to fit it."""
    of = _settings(seat).of
    learner = by_name.get(of)
    where = f"league group {seat.name!r}: of = {of!r}"
    if learner is None:
        raise ValueError(f"{where} names no group; groups: {', '.join(by_name)}")
    if learner is seat:
        raise ValueError(f"{where} names the league group itself; name the learning group")
    if isinstance(learner.player, LeagueOpponent):
        raise ValueError(f"{where} is a league group too; name a learning group")
    if learner.role != seat.role:
        raise ValueError(
            f"{where} plays role {learner.role!r}, the league group role {seat.role!r}: a "
            "snapshot acts with its learner's observations and actions; use one role"
        )
    if learner.slots.size != seat.slots.size:
        raise ValueError(
            f"{where} has {learner.slots.size} agents, the league group {seat.slots.size}: a "
            "snapshot's state is loaded agent for agent (and each agent meets its counterpart); "
            "give both groups as many agents"
        )
    return learner


def _check_intervals(name: str, every: int, ratings: Any, steps: int | None) -> None:
    """Refuse intervals longer than the run: nothing would ever be snapshotted or rated."""
    if steps is None:
        return
    if every > steps:
        raise ValueError(
            f"league group {name!r}: snapshot_every = {every} is longer than the run "
            f"(steps = {steps}); use snapshot_every ≤ {steps}"
        )
    if ratings is not None and ratings.every > steps:
        raise ValueError(
            f"league group {name!r}: ratings.every = {ratings.every} is longer than the run "
            f"(steps = {steps}); use ratings.every ≤ {steps}"
        )
