"""Reading a study's results: tidy tables with every run's parameters as columns.

``load_results("results/maze_learning")`` gives a :class:`StudyResults` whose ``runs`` table
has one row per run (status, seed, parameters, timings, final metrics, error) and whose
``steps``, ``episodes`` and ``agents`` tables stack the finished runs' tables with ``run_id``,
``seed`` and the swept parameters as columns — ready for ``groupby``. :meth:`summary`
aggregates a metric per run, then across seeds: mean, s.d., n and a 95% confidence interval
(:mod:`socialrl.statistics`, the statistics the app shows too).
"""

from __future__ import annotations

import json
import warnings
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from socialrl import registry
from socialrl.results import atomic_write
from socialrl.statistics import Bounds, bounds_of, per_run_values, summarize
from socialrl.study.adaptive import planned_replications, read_rounds
from socialrl.study.design import expand
from socialrl.study.spec import SpecError, StudySpec
from socialrl.study.store import ResultsError, StudyStore
from socialrl.study.tables import describe_error, stack_runs

if TYPE_CHECKING:
    from socialrl.study.scenarios import Scenarios

__all__ = ["DamagedRunWarning", "StudyResults", "load_results"]


class DamagedRunWarning(UserWarning):
    """A finished run was left out of a table because one of its files cannot be read."""


def load_results(path: str | Path) -> StudyResults:
    """Open a study's results folder (as written by ``socialrl run``).

    Raises:
        FileNotFoundError: the folder has no manifest (not a study, or nothing written yet).

    """
    return StudyResults(path)


def _cell(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


class StudyResults:
    """The tables of one study (loaded lazily, cached)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.store = StudyStore(self.path)
        manifest = self.store.manifest()
        if manifest is None:
            raise FileNotFoundError(
                f"{self.path} is not a study's results folder (no manifest.json)"
            )
        self.manifest: dict[str, Any] = manifest
        self._infos, unreadable = self.store.read_runs()  # every run.json, read once
        try:
            self.spec = StudySpec(**manifest["spec"])
            self.configs = expand(self.spec, str(self.path), self._replications())
        except (ValidationError, SpecError) as err:
            raise ResultsError(
                f"{self.path / 'manifest.json'}: damaged, its spec is not a valid study "
                f"({describe_error(err)}); run the study again to rewrite it"
            ) from None
        #: ``{run id: why}``: runs left out because a file of theirs cannot be read.
        self.damaged: dict[str, str] = unreadable

    def _replications(self) -> list[int] | None:
        """Each point's replications as far as an adaptive study got (None: the spec's)."""
        if self.spec.adaptive is None:
            return None
        n_points = len(expand(self.spec, str(self.path), 1))
        return planned_replications(self.spec, self.path, self._infos, n_points)

    @property
    def adaptive(self) -> pd.DataFrame:
        """Adaptive replications: each point's last decision, with its parameters.

        ``round, point, replications, failed, n, mean, sd, half_width, decision`` and the swept
        parameters — ``n`` the units behind the outcome's interval, ``decision`` why the point
        stopped (``precise``: within the target; ``cap``: at ``max_replications``) or
        ``more`` (the study was interrupted). Every round: :meth:`adaptive_rounds`.

        Raises:
            ValueError: the study has no adaptive replications.

        """
        rounds = self.adaptive_rounds()
        if rounds.empty:
            return rounds
        # A point that stopped keeps its decision in later rounds: show the round it stopped in.
        settled = rounds.drop_duplicates(["point", "replications", "decision"], keep="first")
        last = settled.sort_values("round", kind="stable").groupby("point").tail(1)
        return last.sort_values("point").reset_index(drop=True)

    def adaptive_rounds(self) -> pd.DataFrame:
        """Every round's decisions (see :attr:`adaptive`), the swept parameters as columns."""
        if self.spec.adaptive is None:
            raise ValueError(f"{self.path}: the study has no adaptive replications ([adaptive])")
        rounds = read_rounds(self.path)
        if not rounds:
            return pd.DataFrame()
        table = pd.concat(rounds, ignore_index=True)
        points = self.runs.groupby("point")[self.parameter_columns].first()
        swept = [c for c in self.swept if c in points.columns]
        return table.merge(points[swept], left_on="point", right_index=True, how="left")

    @property
    def name(self) -> str:
        """The study's name."""
        return self.spec.name

    @property
    def swept(self) -> list[str]:
        """The parameters the study varies (column names of the tables)."""
        keys: list[str] = []
        for config in self.configs:
            keys.extend(k for k in config.swept if k not in keys)
        return keys

    @cached_property
    def runs(self) -> pd.DataFrame:
        """One row per run: id, point, replication, seed, status, parameters, timings, errors."""
        infos = {info["run_id"]: info for info in self._infos}
        rows = []
        for config in self.configs:
            info = infos.get(config.run_id, {})
            status = "damaged" if config.run_id in self.damaged else info.get("status", "pending")
            row: dict[str, Any] = {
                "run_id": config.run_id,
                "point": config.point,
                "replication": config.replication,
                "seed": config.seed,
                "status": status,
                **{k: _cell(v) for k, v in config.parameters().items()},
                "seconds": info.get("seconds", np.nan),
                "steps_run": info.get("steps_run", np.nan),
                "error": info.get("error"),
                "traceback": info.get("traceback"),
            }
            if config.sample is not None:
                row["sample"] = config.sample
            row.update({f"final.{k}": v for k, v in info.get("final", {}).items()})
            rows.append(row)
        table = pd.DataFrame(rows)
        for column in table.columns:  # a column mixing numbers and JSON text becomes text
            kinds = {type(v) for v in table[column].dropna()}
            if str in kinds and len(kinds) > 1:
                table[column] = table[column].map(lambda v: v if v is None else str(v))
        return table

    @property
    def parameter_columns(self) -> list[str]:
        """Columns of :attr:`runs` holding parameters (``model.*``, ``population.*``, ``run.*``)."""
        return [c for c in self.runs.columns if c.split(".")[0] in ("model", "population", "run")]

    @property
    def key_columns(self) -> list[str]:
        """The per-run columns every stacked table carries after its own columns."""
        return ["replication", "seed", *self.parameter_columns]

    @property
    def table_names(self) -> list[str]:
        """``steps``, ``episodes``, ``agents`` and the model's extra tables (e.g. ``markets``)."""
        return self.store.table_names()

    def table(self, name: str) -> pd.DataFrame:
        """A table of every finished run, with ``run_id``, ``seed`` and parameters as columns.

        Read by :func:`~socialrl.study.tables.stack_runs`, the loader the app uses too.

        A finished run whose file is missing or cannot be read (truncated, corrupt) is left
        out with a warning naming it, and listed in :attr:`damaged`; one damaged run never
        makes the study unreadable. Running the study again redoes it.

        Raises:
            KeyError: for a name that no finished run wrote, listing the tables there are.

        """
        names = self.table_names
        if name not in names:
            raise KeyError(f"unknown table {name!r}; tables: {', '.join(names)}")
        done = self.runs[self.runs["status"] == "done"]
        stacked = stack_runs(self.store, done, name, self.key_columns, categorical=False)
        if stacked.unreadable:
            for line in stacked.unreadable:
                run_id, _, why = line.partition(": ")
                self.damaged.setdefault(run_id, f"{name}.parquet: {why}")
            warnings.warn(
                f"{self.path}: {len(stacked.unreadable)} finished run(s) left out of the "
                f"{name} table, their file cannot be read: "
                + "; ".join(stacked.unreadable)
                + " (run the study again to redo them)",
                DamagedRunWarning,
                stacklevel=2,
            )
        return stacked.frame

    @cached_property
    def steps(self) -> pd.DataFrame:
        """Every finished run's ``steps`` table."""
        return self.table("steps")

    @cached_property
    def episodes(self) -> pd.DataFrame:
        """Every finished run's ``episodes`` table."""
        return self.table("episodes")

    @cached_property
    def agents(self) -> pd.DataFrame:
        """Every finished run's ``agents`` table."""
        return self.table("agents")

    def status(self) -> dict[str, int]:
        """Runs per status (``done``, ``failed``, ``pending``, ``damaged``).

        ``damaged`` counts runs whose run.json or a table cannot be read (found so far:
        tables are read lazily); they are not among ``done``.
        """
        counts = self.runs["status"].value_counts()
        out = {k: int(counts.get(k, 0)) for k in ("done", "failed", "pending")}
        marked = set(self.runs["run_id"][self.runs["status"] == "damaged"])
        later = [r for r in self.damaged if r not in marked]
        out["done"] -= len(later)
        out["damaged"] = int(counts.get("damaged", 0)) + len(later)
        return out

    def unit_of(self, table: str) -> str | None:
        """The column of ``table``'s unit of analysis within a run (None: the run itself).

        The study's ``units`` first, then the model plugin's (:mod:`socialrl.statistics`).
        """
        if table in self.spec.units:
            return self.spec.units[table]
        plugin = registry.plugin_for(self.spec.model.name)
        return None if plugin is None else plugin.units.get(table)

    def bounds_of(self, column: str, values: Any = None) -> Bounds:
        """What ``column`` can take: the model plugin's bounds, then the engine's."""
        plugin = registry.plugin_for(self.spec.model.name)
        return bounds_of(column, None if plugin is None else plugin.bounds, values)

    def summary(
        self, table: str, value: str, by: list[str] | None = None, per_run: str = "mean"
    ) -> pd.DataFrame:
        """Aggregate ``value`` per unit (``per_run``), then across units per ``by`` group.

        The unit is the run, or run × :meth:`unit_of` the table (a market); the interval is
        clipped to :meth:`bounds_of` the value. ``by`` defaults to the swept parameters;
        ``by=[]`` gives one row (``group`` "all") and ``by=["run_id"]`` each run's own value.
        See :func:`socialrl.statistics.summarize`.
        """
        frame = self.table(table)
        unit = self.unit_of(table)
        by = self.swept if by is None else by
        if by == ["run_id"]:
            unit = None  # each run's own value
        bounds = self.bounds_of(value, frame[value] if value in frame.columns else None)
        return summarize(frame, value, by, per_run, unit=unit, bounds=bounds)

    def unit_values(self, table: str, value: str, per_run: str | None = None) -> pd.DataFrame:
        """One value of ``value`` per unit of analysis: ``run_id, [unit], value``.

        ``per_run`` reduces each unit's rows (``"last"``: the row at the largest step); the
        default is ``"last"`` for a table over time (a ``step`` column) and ``"mean"`` for
        one without (a market's rows are its firms). What the sensitivity indices, the
        scenario discovery and the adaptive rule are computed from.

        Raises:
            KeyError: a table no finished run wrote, or a column it does not have.

        """
        frame = self.table(table)
        if value not in frame.columns:
            shown = ", ".join(c for c in frame.columns if c not in self.key_columns)
            raise KeyError(f"no outcome {value!r} in the {table} table; its columns: {shown}")
        how = per_run or ("last" if "step" in frame.columns else "mean")
        x = "step" if how == "last" and "step" in frame.columns else None
        return per_run_values(frame, value, [], how, x, unit=self.unit_of(table))

    def sensitivity(
        self,
        outcome: str,
        method: str | None = None,
        table: str = "steps",
        per_run: str | None = None,
    ) -> pd.DataFrame:
        """Sensitivity indices of ``outcome`` over the study's sampled design.

        Sobol ``S1``/``ST`` (a Sobol design), Morris ``mu_star``/``sigma`` (a Morris design)
        or the model-free ``delta`` (any sampled design), with bootstrap intervals; see
        :func:`socialrl.study.sensitivity.sensitivity`.
        """
        from socialrl.study.sensitivity import sensitivity

        return sensitivity(self, outcome, method, table, per_run)

    def scenarios(self, outcome: str, **options: Any) -> Scenarios:
        """PRIM boxes where ``outcome`` is ``above=``/``below=`` a value (scenario discovery).

        The boxes' limits, coverage and density as tidy tables; see
        :func:`socialrl.study.scenarios.scenario_discovery` for the options.
        """
        from socialrl.study.scenarios import scenario_discovery

        return scenario_discovery(self, outcome, **options)

    def export(self, to: str | Path, fmt: str = "csv") -> list[Path]:
        """Write ``runs`` and every table (standard and extra) as CSV or Parquet into ``to``."""
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', got {fmt!r}")
        folder = Path(to)
        paths = []
        frames: dict[str, Any] = {"runs": lambda: self.runs}
        frames.update({name: lambda name=name: self.table(name) for name in self.table_names})
        if self.spec.adaptive is not None and read_rounds(self.path):
            frames["adaptive"] = self.adaptive_rounds
        for name, read in frames.items():
            frame = read()
            target = folder / f"{name}.{fmt}"
            if fmt == "csv":
                paths.append(atomic_write(target, lambda p, f=frame: f.to_csv(p, index=False)))
            else:
                paths.append(atomic_write(target, lambda p, f=frame: f.to_parquet(p, index=False)))
        return paths
