"""Finding, opening and loading studies for the app: cached, confined, never a traceback.

Everything here goes through :func:`socialrl.load_results` (the manifest, the spec, the runs
table, the table names, the store's file layout); what the app adds is

* **caching** keyed on the study's path and a *signature* of its files (modification times of
  ``manifest.json`` and ``runs/``: a run folder appears by a rename into ``runs/``, which
  changes that folder's mtime), so a study that grows while it runs is reloaded, and nothing
  is loaded twice otherwise;
* **the study's table loader** (:func:`socialrl.study.tables.stack_runs`, which
  :meth:`StudyResults.table <socialrl.study.StudyResults.table>` uses too) with text keys
  (``run_id``, text parameters) as categoricals, and runs whose file cannot be read left
  out and named rather than raised;
* **confinement and clear errors**: study names are single folder names below the results
  root, every file of a study must resolve inside the root (links included), and a missing,
  partial or corrupt study becomes a :class:`StudyError` with a message for the page, never a
  traceback. Nothing is unpickled: the files read are JSON and Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from socialrl import registry
from socialrl.app.paths import OutsideRootError, confine
from socialrl.plugins import load
from socialrl.statistics import Bounds, bounds_of
from socialrl.study import ResultsError, StudyResults, load_results
from socialrl.study.tables import READ_ERRORS, describe_error, stack_runs

__all__ = [
    "LoadedTable",
    "Study",
    "StudyError",
    "describe_time",
    "distinct_values",
    "find_studies",
    "open_study",
    "read_table",
    "single_runs",
]

#: Errors that reading a broken study may raise (JSON, Parquet, pydantic, the file system,
#: a damaged manifest).
_BROKEN = (*READ_ERRORS, KeyError, TypeError, IndexError, ResultsError)


class StudyError(Exception):
    """A study the app cannot show; the message says why, for the page."""


@dataclass(frozen=True)
class LoadedTable:
    """A table of a study, with what the page should say about it.

    Attributes:
        frame: Every finished run's rows, with ``run_id``, ``replication``, ``seed`` and the
            parameters as columns.
        notes: Warnings for the page (runs whose file could not be read and were left out).
        runs: Number of runs the table's rows come from.

    """

    frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    runs: int = 0


def signature(path: Path) -> tuple[int, int, int]:
    """What changes when a study's files change: mtimes of the manifest and ``runs/``."""
    stamps = []
    for item in (path / "manifest.json", path / "runs", path):
        try:
            stamps.append(item.stat().st_mtime_ns)
        except OSError:
            stamps.append(0)
    return (stamps[0], stamps[1], stamps[2])


# ---------------------------------------------------------------------- opening
def _results(path: Path) -> StudyResults:
    """``load_results(path)``, or a :class:`StudyError` saying what is wrong with the study."""
    if not path.is_dir():
        raise StudyError(f"there is no study folder {path.name!r} (it may have been removed)")
    if not (path / "manifest.json").exists():
        if (path / "runs").is_dir():
            raise StudyError(
                f"study {path.name!r} has runs but no manifest.json: it is being created, or "
                "its manifest was lost (run the study again to rewrite it)"
            )
        raise StudyError(f"{path.name!r} is not a study's results folder (no manifest.json)")
    try:
        results = load_results(path)
        results.runs  # noqa: B018 - reads every run.json: a corrupt one shows here
    except _BROKEN as err:
        raise StudyError(
            f"study {path.name!r} is corrupt and cannot be read: {describe_error(err)}"
        ) from None
    return results


def _check_links(path: Path, root: Path) -> None:
    """Refuse a study with any file or folder that resolves outside the results root."""
    items = [path / "manifest.json", path / "runs"]
    runs = path / "runs"
    if runs.is_dir():
        for run in runs.iterdir():
            items.append(run)
            if run.is_dir():
                items.extend(run.iterdir())
    for item in items:
        try:
            confine(item, root)
        except OutsideRootError:
            raise StudyError(
                f"study {path.name!r} links outside the results root "
                f"({item.relative_to(path)} → {item.resolve()}); refused"
            ) from None


@st.cache_data(show_spinner=False, max_entries=256)
def _info(path_text: str, root_text: str, sig: tuple[int, int, int]) -> dict[str, Any]:
    """Plain facts about a study for the pages (cached; everything JSON-like)."""
    path, root = Path(path_text), Path(root_text)
    _check_links(path, root)
    results = _results(path)
    runs = results.runs
    status = results.status()
    seconds = pd.to_numeric(runs["seconds"], errors="coerce")
    swept = results.swept
    values = {k: distinct_values(runs[k]) for k in swept if k in runs.columns}
    manifest = results.manifest
    return {
        "name": results.name,
        "folder": path.name,
        "model": results.spec.model.name,
        "model_params": dict(results.spec.model.params),
        "learners": sorted({g.learner for g in results.spec.population}),
        "description": results.spec.description,
        "swept": swept,
        "swept_values": values,
        "table_names": results.table_names,
        "units": {t: results.unit_of(t) for t in results.table_names},
        "bounds": dict(plugin_bounds(results.spec.model.name)),
        "headline": _headline_metric(results.spec.model.name),
        "parameter_columns": results.parameter_columns,
        "status": status,
        "runs": len(runs),
        "runtime_s": float(np.nansum(seconds)),
        "created": manifest.get("created"),
        "updated": manifest.get("updated"),
        "manifest": manifest,
    }


def _headline_metric(model: str) -> list[str] | None:
    """The model plugin's ``(table, metric)`` that answers a study's question, if it names one."""
    plugin = registry.plugin_for(model)
    return None if plugin is None or plugin.headline is None else list(plugin.headline)


def plugin_bounds(model: str) -> dict[str, tuple[float | None, float | None]]:
    """The model plugin's declared bounds of its quantities (none for a model without one)."""
    plugin = registry.plugin_for(model)
    return {} if plugin is None else dict(plugin.bounds)


def distinct_values(column: pd.Series) -> list[Any]:
    """A parameter's distinct values, numbers sorted numerically."""
    values = list(pd.unique(column.dropna()))
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


@st.cache_data(show_spinner=False, max_entries=64)
def _runs(path_text: str, sig: tuple[int, int, int]) -> pd.DataFrame:
    return _results(Path(path_text)).runs


@st.cache_data(show_spinner=False, max_entries=32)
def _headline(path_text: str, sig: tuple[int, int, int]) -> Headline:
    results = _results(Path(path_text))
    plugin = registry.plugin_for(results.spec.model.name)
    if plugin is None or plugin.summary is None or results.status()["done"] == 0:
        return Headline({}, {}, "")
    try:
        summary = load(plugin.summary)(results)
    except Exception as err:  # a summary that fails must not take the page with it
        return Headline({}, {}, f"the study summary could not be computed: {describe_error(err)}")
    tables = summary if isinstance(summary, dict) else {"summary": summary}
    return Headline(dict(tables), dict(plugin.glossary), "")


@dataclass(frozen=True)
class Headline:
    """A study's answer: the model's summary tables (what ``socialrl show`` prints).

    Attributes:
        tables: Title → table (empty when the model declares no summary or nothing ran).
        glossary: Column (or ``fnmatch`` pattern) → what it means, from the model's plugin.
        problem: Why there is no table although the model declares one.

    """

    tables: dict[str, pd.DataFrame]
    glossary: dict[str, str]
    problem: str


@dataclass(frozen=True)
class Study:
    """A study below the results root, opened through :func:`open_study`.

    Every method reads through the caches, keyed on the study's path and file signature.
    """

    path: Path
    root: Path

    @property
    def folder(self) -> str:
        """The study's folder name (its name in URLs and selections)."""
        return self.path.name

    def signature(self) -> tuple[int, int, int]:
        """The cache key part that changes with the study's files."""
        return signature(self.path)

    def info(self) -> dict[str, Any]:
        """Name, model, swept parameters and their values, tables, status, runtime, manifest."""
        return _info(str(self.path), str(self.root), self.signature())

    def runs(self) -> pd.DataFrame:
        """One row per run (status, seed, parameters, timings, errors)."""
        return _runs(str(self.path), self.signature())

    def table(self, name: str) -> LoadedTable:
        """A table of every finished run (``runs`` gives the runs table)."""
        return _table(str(self.path), name, self.signature())

    def headline(self) -> Headline:
        """The study's answer: its model's summary, as ``socialrl show`` prints it."""
        return _headline(str(self.path), self.signature())

    def unit_of(self, table: str) -> str | None:
        """The column of the table's unit of analysis within a run (None: the run)."""
        unit = self.info()["units"].get(table)
        return str(unit) if unit else None

    def bounds_of(self, column: str, values: Any = None) -> Bounds:
        """What ``column`` can take (the model's declared bounds, then the engine's)."""
        return bounds_of(column, self.info()["bounds"], values)

    def has_table(self, name: str) -> bool:
        """Whether some finished run wrote the table."""
        return name == "runs" or name in self.info()["table_names"]


def open_study(root: Path, folder: str) -> Study:
    """The study in ``root/folder`` (``"."`` when the root is itself a study).

    Raises:
        StudyError: for a name that is not one folder below the root, a path or link leading
            outside it, or a missing, partial-without-manifest or corrupt study.

    """
    if folder != "." and (not folder or "/" in folder or "\\" in folder or folder in ("..",)):
        raise StudyError(f"{folder!r} is not a study folder name")
    try:
        path = confine(root / folder, root)
    except OutsideRootError as err:
        raise StudyError(str(err)) from None
    study = Study(path=path, root=root)
    study.info()  # raises StudyError for a broken study
    return study


def find_studies(root: Path) -> list[dict[str, Any]]:
    """Every study at or directly below ``root``, healthy or not, for the Studies page.

    Returns:
        One dict per folder with a ``manifest.json`` or a ``runs/`` folder: ``folder``,
        ``state`` (``complete``, ``partial``, ``failed runs``, ``broken``), ``message``
        (why a broken study cannot be shown) and, for readable studies, :meth:`Study.info`.

    """
    if not root.is_dir():
        return []
    candidates = [root] if (root / "manifest.json").exists() else []
    if not candidates:
        for child in sorted(root.iterdir()):
            if child.name.startswith(".") or not child.is_dir():
                continue
            if (child / "manifest.json").exists() or (child / "runs").is_dir():
                candidates.append(child)
    out = []
    for path in candidates:
        folder = "." if path == root else path.name
        entry: dict[str, Any] = {"folder": folder, "message": ""}
        try:
            info = open_study(root, folder).info()
        except StudyError as err:
            entry.update(state="broken", message=str(err))
        else:
            status = info["status"]
            if status["pending"]:
                state = "partial"
            elif status["failed"]:
                state = "failed runs"
            else:
                state = "complete"
            entry.update(info, state=state, folder=folder)
        out.append(entry)
    return out


def single_runs(root: Path) -> list[str]:
    """Folders directly below ``root`` that hold one run's tables, not a study.

    ``simulate(...).to_parquet(path)`` (or ``to_csv``) writes ``meta.json`` beside the tables;
    the app shows studies, and the Studies page names these folders with how to read them
    (:meth:`socialrl.Results.read`) rather than leaving them out without a word.
    """
    if not root.is_dir():
        return []
    return [
        child.name
        for child in sorted(root.iterdir())
        if child.is_dir()
        and not (child / "manifest.json").exists()
        and (child / "meta.json").exists()
        and any((child / f"steps.{kind}").exists() for kind in ("parquet", "csv"))
    ]


# ---------------------------------------------------------------------- loading tables
@st.cache_data(show_spinner=False, max_entries=8)  # a few large tables at most in memory
def _table(path_text: str, name: str, sig: tuple[int, int, int]) -> LoadedTable:
    return read_table(Path(path_text), name)


def read_table(path: Path, name: str) -> LoadedTable:
    """Load one table of every finished run (uncached; the pages use :meth:`Study.table`).

    Runs whose file is missing or unreadable are left out *and named* in the notes, so a
    damaged run never silently changes the statistics.

    Raises:
        StudyError: for a study that cannot be read, or a table it does not have.

    """
    results = _results(path)
    if name == "runs":
        return LoadedTable(results.runs, (), len(results.runs))
    names = results.table_names
    if name not in names:
        raise StudyError(f"this study has no {name!r} table; its tables: {', '.join(names)}")
    runs = results.runs
    done = runs[runs["status"] == "done"]
    try:
        stacked = stack_runs(results.store, done, name, results.key_columns, categorical=True)
    except pa.ArrowException as err:
        raise StudyError(
            f"the runs' {name} tables do not fit together: {describe_error(err)}"
        ) from None
    bad = stacked.unreadable
    notes = [
        f"{len(bad)} finished run(s) left out: their {name} table could not be read ("
        + "; ".join(bad[:3])
        + (" …" if len(bad) > 3 else "")
        + ")"
    ]
    return LoadedTable(stacked.frame, tuple(notes) if bad else (), stacked.runs)


def describe_time(stamp: str | None) -> str:
    """A manifest time stamp as ``YYYY-MM-DD HH:MM`` (the raw text if it does not parse)."""
    if not stamp:
        return ""
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z").strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp
