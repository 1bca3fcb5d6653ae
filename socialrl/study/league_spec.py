"""A study's league groups: ``league = {…}`` on a population group, and what is checked.

A group played by frozen snapshots of another group's learner (:mod:`socialrl.run.league`)
writes ``league = { of = "learner", snapshot_every = 1000, choose = "uniform" }`` instead of a
learner. The table is short for the league opponent learner
(``socialrl.run.league:LeagueOpponent``) with the table as its parameters, which is how the
study's runs carry it (a run's groups are a learner and its parameters), so a league key is a
sweep key like any other: ``population.past.snapshot_every``.

Checked before anything runs, each problem one line naming the file and the key: the table's
keys and values (``population[1].league.choose``), the learning group it names (unknown, itself,
another league group, another role: ``population[1].league.of``), and intervals longer than
the run (``population[1].league.snapshot_every``, ``population[1].league.ratings.every``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from socialrl.run.league.settings import LeagueSettings
from socialrl.run.settings import RunSettings

if TYPE_CHECKING:
    from socialrl.study.spec import GroupSpec, SweepSpec

__all__ = ["LEAGUE_LEARNER", "check_league_params", "league_problems", "league_table"]

#: The learner a group's ``league = {…}`` table stands for (its parameters: the table).
LEAGUE_LEARNER = "socialrl.run.league:LeagueOpponent"


def league_table(data: Any) -> Any:
    """A group's raw data with ``league = {…}`` turned into that learner and its parameters."""
    if not (isinstance(data, dict) and "league" in data):
        return data
    if "learner" in data or "params" in data:
        raise ValueError(
            "a league group is played by snapshots of its learning group: give `league` "
            "without `learner` and `params`"
        )
    data = dict(data)
    data["learner"], data["params"] = LEAGUE_LEARNER, data.pop("league")
    return data


def check_league_params(params: dict[str, Any]) -> None:
    """Validate a league group's table; its errors are located at ``league.<key>``."""
    try:
        LeagueSettings(**params)
    except ValidationError as err:
        raise ValidationError.from_exception_data(
            "GroupSpec",
            [
                InitErrorDetails(
                    type=e["type"],
                    loc=("league", *e["loc"]),
                    input=e["input"],
                    ctx=e.get("ctx", {}),
                )
                for e in err.errors()
            ],
        ) from None


def league_problems(
    population: Sequence[GroupSpec], sweep: SweepSpec, run: RunSettings
) -> list[InitErrorDetails]:
    """What makes a league group unplayable: its learning group, or intervals past the run.

    Intervals are compared with ``run.steps`` unless either is swept (each run then checks
    its own, in one line, when it starts).
    """
    swept = {*sweep.grid, *sweep.zip, *(key for point in sweep.points for key in point)}
    swept |= set(sweep.sample.ranges) if sweep.sample is not None else set()
    steps = None if "run.steps" in swept else run.steps
    groups = {g.label: g for g in population}
    problems: list[InitErrorDetails] = []
    for k, group in enumerate(population):
        league = group.league
        if league is None:
            continue
        problem = _learning_group_problem(group, league.of, groups)
        if problem is not None:
            problems.append(_league_error((k, "of"), league.of, problem))
        for key, every, what in _intervals(league):
            if (
                steps is not None
                and every > steps
                and f"population.{group.label}.{key}" not in swept
            ):
                message = (
                    f"longer than the run (run.steps = {steps}): the learner would {what} "
                    f"only at its start; use at most {steps}"
                )
                problems.append(_league_error((k, *key.split(".")), every, message))
    return problems


def _learning_group_problem(group: GroupSpec, of: str, groups: dict[str, GroupSpec]) -> str | None:
    """Why ``of`` cannot be the learning group of the league group ``group`` (None: it can)."""
    target = groups.get(of)
    if target is None:
        return f"no group {of!r}; groups: {', '.join(groups)}"
    if target is group:
        return "names the league group itself; name the group whose learner it plays"
    if target.league is not None:
        return f"group {of!r} is a league group too; name a learning group"
    if group.role and target.role and group.role != target.role:
        return (
            f"group {of!r} plays role {target.role!r}, this group role {group.role!r}: "
            "a snapshot acts in its learner's role; use one role"
        )
    return None


def _intervals(league: LeagueSettings) -> Iterator[tuple[str, int, str]]:
    """``(key, interval, what happens on it)`` of each of the league's intervals."""
    yield "snapshot_every", league.snapshot_every, "be snapshotted"
    if league.ratings is not None:
        yield "ratings.every", league.ratings.every, "be rated"


def _league_error(where: tuple[Any, ...], given: Any, message: str) -> InitErrorDetails:
    """A validation error at ``population[k].league.<key>`` with ``message``."""
    return InitErrorDetails(
        type=PydanticCustomError("league", "{message}", {"message": message}),
        loc=("population", where[0], "league", *where[1:]),
        input=given,
    )
