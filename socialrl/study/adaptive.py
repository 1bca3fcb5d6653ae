"""Adaptive replications: as many seeds per design point as the stated precision needs.

A fixed seed count is either wasteful (points whose outcome barely varies) or too small
(points near a tipping point, where it varies most). With ``[adaptive]`` a study states the
precision it needs instead::

    replications = 10                      # the first batch at every point
    [adaptive]
    outcome = "delta"                      # a column …
    table = "markets"                      # … of this table
    half_width = 0.02                      # the 95% interval of its mean: ± 0.02
    batch = 10                             # seeds added per round
    max_replications = 200                 # the cap per point

The rule, decided between rounds of runs: each point's outcome is reduced to one value per
unit of analysis (a run, or run × market: :mod:`socialrl.statistics`), and the half-width of
the 95% Student-t interval of their mean is compared with the target. A point whose interval
is wider gets ``batch`` more replications; one within the target, or at the cap, stops. Since
the half-width shrinks like ``1/√n``, a point with unit s.d. ``σ`` stops near
``n ≈ (1.96 σ / half_width)²`` units.

Runs are decided by their results only, and replication ``r`` of a point always has the same
seed and run id, so an interrupted study resumes by replaying the rounds: finished runs are
skipped and every decision comes out as before. Each round's decisions are written to
``adaptive.json`` in the study folder, and :meth:`StudyResults.adaptive
<socialrl.study.results.StudyResults.adaptive>` reads them as a table (the final n per point
and why it stopped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socialrl import registry
from socialrl.capabilities import EndOfRunTables
from socialrl.mesa_compat import release_model
from socialrl.population import Population
from socialrl.results import TABLES, atomic_write
from socialrl.statistics import ci_half_width
from socialrl.study.design import RunConfig, build_population, expand
from socialrl.study.spec import AdaptiveSpec, SpecError, StudySpec
from socialrl.study.store import ADAPTIVE_FILE

if TYPE_CHECKING:
    from socialrl.study.results import StudyResults

__all__ = [
    "ADAPTIVE_FILE",
    "check_adaptive",
    "decide",
    "next_replications",
    "planned_replications",
    "read_rounds",
    "run_rounds",
    "write_rounds",
]

#: What stops a point: its interval is within the target, or it has the most replications.
PRECISE, CAP, MORE = "precise", "cap", "more"


def check_adaptive(spec: StudySpec, first: RunConfig | None, source: str) -> None:
    """Refuse, before any run, an adaptive rule the study cannot follow (one line each).

    The outcome is looked up among the columns one run would write: the model is built with
    seed 0 and asked for its metrics and end-of-run tables without playing a step (a table
    whose columns cannot be found this way is not checked).
    """
    rule = spec.adaptive
    if rule is None:
        return
    problems = []
    if rule.max_replications < spec.replications:
        problems.append(
            f"{source}: key 'adaptive.max_replications': {rule.max_replications} is below "
            f"replications = {spec.replications}, the first batch of every point"
        )
    if first is not None:
        columns = produced_columns(first)
        if rule.table not in columns:
            shown = ", ".join(sorted(columns))
            problems.append(
                f"{source}: key 'adaptive.table': the model writes no table {rule.table!r}; "
                f"its tables: {shown}"
            )
        elif columns[rule.table] and rule.outcome not in columns[rule.table]:
            shown = ", ".join(sorted(columns[rule.table]))
            problems.append(
                f"{source}: key 'adaptive.outcome': no column {rule.outcome!r} in the "
                f"{rule.table} table; its columns: {shown}"
            )
    if problems:
        raise SpecError(*problems)


def produced_columns(run: RunConfig) -> dict[str, set[str]]:
    """Table → the columns a run of ``run``'s model and population writes (empty: unknown)."""
    from socialrl.run.recorder import EPISODE_COLUMNS

    model = registry.model_factory(run.model, run.model_params)(np.random.default_rng(0))
    population: Population = build_population(run.groups)
    try:
        population.bind(model, np.random.SeedSequence(0))
        steps = {"step", *model.metrics(), *population.diagnostics()}
        for role in model.roles:
            steps |= {f"{role}_reward_mean", f"{role}_episodes"}
        columns: dict[str, set[str]] = {name: set() for name in TABLES}
        columns["steps"], columns["episodes"] = steps, set(EPISODE_COLUMNS)
        if isinstance(model, EndOfRunTables):
            try:
                tables = model.final_tables(population)
            except Exception:  # a model whose tables need a played run: not checked
                tables = {}
            columns.update({name: set(table.columns) for name, table in tables.items()})
        return columns
    finally:
        release_model(model)


def decide(
    results: StudyResults, rule: AdaptiveSpec, runs: Sequence[RunConfig], counts: Sequence[int]
) -> pd.DataFrame:
    """Each point's interval now, and whether it needs more replications.

    Returns:
        ``point, replications, failed, n, mean, sd, half_width, decision`` — ``n`` the units
        behind the interval (runs × units per run), ``decision`` one of ``more``,
        ``precise``, ``cap``.

    """
    point_of = {r.run_id: r.point for r in runs}
    try:
        values = results.unit_values(rule.table, rule.outcome, rule.per_run)
    except KeyError:  # nothing finished yet wrote the outcome
        values = None
    if values is not None:
        values = values[values["run_id"].isin(point_of)]
        values = values.assign(point=values["run_id"].map(point_of))
    else:
        values = pd.DataFrame({"run_id": [], "point": [], rule.outcome: []})
    stats = values.groupby("point")[rule.outcome].agg(n="count", mean="mean", sd="std")
    table = stats.reindex(range(len(counts)))
    table["n"] = table["n"].fillna(0).astype(np.int64)
    table.insert(0, "replications", np.asarray(counts, dtype=np.int64))
    listed = results.runs[results.runs["run_id"].isin(point_of)]
    failed = listed[listed["status"] == "failed"].groupby("point").size()
    table.insert(1, "failed", failed.reindex(table.index, fill_value=0).astype(np.int64))
    table["half_width"] = ci_half_width(table["sd"], table["n"])
    precise = table["half_width"] <= rule.half_width
    at_cap = table["replications"] >= rule.max_replications
    table["decision"] = np.where(precise, PRECISE, np.where(at_cap, CAP, MORE))
    return table.rename_axis("point").reset_index()


def next_replications(decisions: pd.DataFrame, rule: AdaptiveSpec, first: int) -> list[int]:
    """The replications of each point in the next round (the same everywhere: done)."""
    step = rule.batch or first
    more = decisions["decision"] == MORE
    grown = np.minimum(decisions["replications"] + step, rule.max_replications)
    return [int(n) for n in np.where(more, grown, decisions["replications"])]


def read_rounds(folder: Path) -> list[pd.DataFrame]:
    """The decisions of every round so far (empty: none written, or not adaptive)."""
    path = Path(folder) / ADAPTIVE_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [pd.DataFrame(rows) for rows in data.get("rounds", [])]


def write_rounds(folder: Path, rounds: list[pd.DataFrame], rule: AdaptiveSpec) -> None:
    """Write the rounds' decisions (atomically: a crash leaves the previous file)."""
    data = {
        "rule": rule.model_dump(mode="json"),
        "rounds": [json.loads(r.to_json(orient="records")) for r in rounds],
    }
    text = json.dumps(data, indent=1)
    atomic_write(Path(folder) / ADAPTIVE_FILE, lambda p: p.write_text(text))


def planned_replications(
    spec: StudySpec, folder: Path, infos: Sequence[dict[str, Any]], n_points: int
) -> list[int]:
    """Replications of each point as far as the study got: its last round, or its runs.

    A point never shows fewer replications than it has finished runs (a study resumed with
    a looser target keeps the runs it has).
    """
    counts = np.full(n_points, spec.replications, dtype=np.int64)
    rounds = read_rounds(folder)
    if rounds and len(rounds[-1]) == n_points:
        counts = np.maximum(counts, rounds[-1]["replications"].to_numpy(np.int64))
    for info in infos:
        point, replication = info.get("point"), info.get("replication")
        if isinstance(point, int) and isinstance(replication, int) and 0 <= point < n_points:
            counts[point] = max(int(counts[point]), replication + 1)
    return np.minimum(counts, spec.most_replications).tolist()


def run_rounds(
    spec: StudySpec,
    source: str,
    execute: Callable[[list[RunConfig]], None],
    load: Callable[[], StudyResults],
    n_points: int,
    folder: Path,
) -> list[pd.DataFrame]:
    """Rounds of runs until every point is precise or at its cap; returns their decisions.

    ``execute`` runs what of the given runs is not finished yet; ``load`` opens the results.
    """
    rule = spec.adaptive
    assert rule is not None
    counts = [spec.replications] * n_points
    rounds: list[pd.DataFrame] = []
    while True:
        runs = expand(spec, source, counts)
        execute(runs)
        decisions = decide(load(), rule, runs, counts)
        decisions.insert(0, "round", len(rounds))
        rounds.append(decisions)
        write_rounds(folder, rounds, rule)
        grown = next_replications(decisions, rule, spec.replications)
        if grown == counts:
            return rounds
        counts = grown
