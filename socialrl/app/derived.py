"""Cached statistics of study tables, keyed on the study's path, file signature and choices.

A page asks for curves, per-run values or a histogram by naming the study and the columns;
the large table is loaded (once, through :meth:`Study.table <socialrl.app.data.Study.table>`)
only when a result is not cached yet, and what is cached is small (a few hundred points).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from socialrl.app import stats
from socialrl.app.data import Study
from socialrl.statistics import per_run_values

__all__ = ["curves", "histogram", "per_run", "time_columns"]

#: Columns that can serve as a time axis, in order of preference.
TIME_COLUMNS = ("step", "end_step", "episode", "tau", "period", "t")


def time_columns(frame: pd.DataFrame) -> list[str]:
    """Numeric columns of a table that can be a curve's x axis."""
    return [
        c for c in TIME_COLUMNS if c in frame.columns and pd.api.types.is_numeric_dtype(frame[c])
    ]


@st.cache_data(show_spinner=False, max_entries=64)
def _curves(
    path: str, root: str, sig: tuple[int, int, int], table: str, x: str, y: str, by: tuple[str, ...]
) -> stats.Curves:
    study = Study(path=Path(path), root=Path(root))
    frame = study.table(table).frame
    unit = study.unit_of(table)
    bounds = study.bounds_of(y, frame[y] if y in frame.columns else None)
    return stats.learning_curves(frame, x, y, list(by), unit=unit, bounds=bounds)


def curves(study: Study, table: str, x: str, y: str, by: list[str]) -> stats.Curves:
    """Mean curves with 95% bands across the table's units (runs, or run × unit), bounded.

    See :func:`socialrl.app.stats.learning_curves`.
    """
    return _curves(str(study.path), str(study.root), study.signature(), table, x, y, tuple(by))


@st.cache_data(show_spinner=False, max_entries=64)
def _per_run(
    path: str,
    root: str,
    sig: tuple[int, int, int],
    table: str,
    y: str,
    by: tuple[str, ...],
    how: str,
    x: str | None,
) -> pd.DataFrame:
    study = Study(path=Path(path), root=Path(root))
    frame = study.table(table).frame
    return per_run_values(frame, y, by, how, x, unit=study.unit_of(table))


def per_run(
    study: Study, table: str, y: str, by: list[str], how: str, x: str | None
) -> pd.DataFrame:
    """One value per unit: per run, or run × the table's unit (a market).

    See :func:`socialrl.statistics.per_run_values`.
    """
    return _per_run(
        str(study.path), str(study.root), study.signature(), table, y, tuple(by), how, x
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _histogram(path: str, root: str, sig: tuple[int, int, int], table: str, y: str) -> pd.DataFrame:
    frame = Study(path=Path(path), root=Path(root)).table(table).frame
    return stats.histogram(frame[y])


def histogram(study: Study, table: str, y: str) -> pd.DataFrame:
    """Every row's value of ``y`` in equal bins."""
    return _histogram(str(study.path), str(study.root), study.signature(), table, y)
