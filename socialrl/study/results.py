"""Reading a study's results: tidy tables with every run's parameters as columns.

``load_results("results/maze_learning")`` gives a :class:`StudyResults` whose ``runs`` table
has one row per run (status, seed, parameters, timings, final metrics, error) and whose
``steps``, ``episodes`` and ``agents`` tables stack the finished runs' tables with ``run_id``,
``seed`` and the swept parameters as columns — ready for ``groupby``. :meth:`summary`
aggregates a metric per run, then across seeds: mean, s.d., n and a 95% confidence interval.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from socialrl.results import TABLES, atomic_write
from socialrl.study.design import expand
from socialrl.study.spec import StudySpec
from socialrl.study.store import StudyStore

__all__ = ["StudyResults", "load_results", "summarize"]


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
        self.spec = StudySpec(**manifest["spec"])
        self.configs = expand(self.spec, str(self.path))

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
        infos = {info["run_id"]: info for info in self.store.run_infos()}
        rows = []
        for config in self.configs:
            info = infos.get(config.run_id, {})
            row: dict[str, Any] = {
                "run_id": config.run_id,
                "point": config.point,
                "replication": config.replication,
                "seed": config.seed,
                "status": info.get("status", "pending"),
                **{k: _cell(v) for k, v in config.parameters().items()},
                "seconds": info.get("seconds", np.nan),
                "steps_run": info.get("steps_run", np.nan),
                "error": info.get("error"),
                "traceback": info.get("traceback"),
            }
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
    def table_names(self) -> list[str]:
        """``steps``, ``episodes``, ``agents`` and the model's extra tables (e.g. ``markets``)."""
        return self.store.table_names()

    def table(self, name: str) -> pd.DataFrame:
        """A table of every finished run, with ``run_id``, ``seed`` and parameters as columns.

        Raises:
            KeyError: for a name that no finished run wrote, listing the tables there are.

        """
        names = self.table_names
        if name not in names:
            raise KeyError(f"unknown table {name!r}; tables: {', '.join(names)}")
        done = self.runs[self.runs["status"] == "done"]
        parts = []
        for run_id in done["run_id"]:
            if (
                name not in TABLES
                and not (self.store.runs_dir / run_id / f"{name}.parquet").exists()
            ):
                continue  # an extra table this run did not write
            part = self.store.read_table(run_id, name)
            part.insert(0, "run_id", run_id)
            parts.append(part)
        if not parts:
            return pd.DataFrame(columns=["run_id"])
        stacked = pd.concat(parts, ignore_index=True)
        keys = done[["run_id", "replication", "seed", *self.parameter_columns]]
        return stacked.merge(keys, on="run_id", how="left")

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
        """Runs per status (``done``, ``failed``, ``pending``)."""
        counts = self.runs["status"].value_counts()
        return {k: int(counts.get(k, 0)) for k in ("done", "failed", "pending")}

    def summary(
        self, table: str, value: str, by: list[str] | None = None, per_run: str = "mean"
    ) -> pd.DataFrame:
        """Aggregate ``value`` per run (``per_run``), then across seeds per ``by`` group.

        ``by`` defaults to the swept parameters. See :func:`summarize`.
        """
        return summarize(self.table(table), value, self.swept if by is None else by, per_run)

    def export(self, to: str | Path, fmt: str = "csv") -> list[Path]:
        """Write ``runs`` and every table (standard and extra) as CSV or Parquet into ``to``."""
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', got {fmt!r}")
        folder = Path(to)
        paths = []
        for name in ("runs", *self.table_names):
            frame = self.runs if name == "runs" else self.table(name)
            target = folder / f"{name}.{fmt}"
            if fmt == "csv":
                paths.append(atomic_write(target, lambda p, f=frame: f.to_csv(p, index=False)))
            else:
                paths.append(atomic_write(target, lambda p, f=frame: f.to_parquet(p, index=False)))
        return paths


def summarize(
    frame: pd.DataFrame, value: str, by: list[str], per_run: str = "mean"
) -> pd.DataFrame:
    """Across-seed statistics of a per-run aggregate.

    Each run contributes one number (``per_run`` of ``value`` over its rows: ``"mean"``,
    ``"last"``, ``"max"``, …), so runs with more rows do not weigh more; then per ``by``
    group: ``mean``, ``sd``, ``n`` and the 95% confidence interval of the mean (Student t).

    Raises:
        KeyError: naming a missing column and the columns there are.

    """
    from scipy import stats  # imported here: it takes a second, and few callers need it

    missing = [c for c in [value, *by] if c not in frame.columns]
    if missing:
        raise KeyError(f"no column {missing}; columns: {', '.join(map(str, frame.columns))}")
    per = frame.groupby(["run_id", *by], dropna=False)[value].agg(per_run).reset_index()
    grouped = per.groupby(by, dropna=False)[value] if by else per[value].groupby(lambda _: "all")
    out = grouped.agg(mean="mean", sd="std", n="count")
    half = stats.t.ppf(0.975, np.maximum(out["n"] - 1, 1)) * out["sd"] / np.sqrt(out["n"])
    out["ci95_low"] = out["mean"] - half.where(out["n"] > 1)
    out["ci95_high"] = out["mean"] + half.where(out["n"] > 1)
    return out.reset_index()
