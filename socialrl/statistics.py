"""Statistics of a study's runs: one number per run, then across runs with a 95% interval.

Seeds are the unit of replication: a run is one independent draw of the whole simulation, so
every statistic first reduces each run to one number (a run with more rows does not weigh
more), then reports across the runs of a group their mean, s.d., n and the 95% confidence
interval of the mean (Student t, ``n − 1`` degrees of freedom; undefined below two runs).

This module is the one implementation of those steps. :meth:`StudyResults.summary
<socialrl.study.StudyResults.summary>` (and so ``socialrl show``), the models' study summaries,
the app's Explore page and the models' app views all call it, so the same data give the same
intervals everywhere. It sits in the engine's core (it imports no other part of socialrl), so
that every layer and every model package may use it.

* :func:`per_run_values` — one value per run (its mean, last, max… of a column);
* :func:`across_runs` — mean, s.d., n and interval of per-run values, per group;
* :func:`summarize` — both in one call, for a study table;
* :func:`column_moments` and :func:`interval` — the same statistics over a runs × points
  matrix, for curves that summarise many points at once;
* :func:`ci_half_width` — the interval's half-width alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "Moments",
    "across_runs",
    "ci_half_width",
    "column_moments",
    "interval",
    "per_run_values",
    "summarize",
]

ArrayLike = pd.Series | np.ndarray


class Moments(NamedTuple):
    """Mean, sample s.d. (NaN below two values) and number of values, per column."""

    mean: np.ndarray
    sd: np.ndarray
    n: np.ndarray


def ci_half_width(sd: ArrayLike, n: ArrayLike) -> np.ndarray:
    """Half-width of the 95% confidence interval of a mean (Student t); NaN where n < 2."""
    from scipy import stats  # imported on first use: it takes a moment

    n_arr = np.asarray(n, dtype=np.float64)
    t = stats.t.ppf(0.975, np.maximum(n_arr - 1, 1))
    half = t * np.asarray(sd, dtype=np.float64) / np.sqrt(np.maximum(n_arr, 1))
    return np.where(n_arr > 1, half, np.nan)


def interval(mean: ArrayLike, sd: ArrayLike, n: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """``(low, high)``: the 95% confidence interval of each mean (NaN where n < 2)."""
    half = ci_half_width(sd, n)
    return mean - half, mean + half


def column_moments(values: np.ndarray) -> Moments:
    """Mean, s.d. and n of each column of a runs × points matrix, NaN marking no value.

    The s.d. is the sample s.d. (``ddof=1``), computed in two passes (mean, then squared
    deviations) so that curves with a large offset keep their precision.
    """
    n = np.isfinite(values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=0) / n
        sd = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / (n - 1))
    return Moments(mean, np.where(n > 1, sd, np.nan), n)


def _keys(by: Sequence[str]) -> list[str]:
    """Grouping columns without repeats or empty names."""
    return [c for c in dict.fromkeys(by) if c]


def per_run_values(
    frame: pd.DataFrame,
    value: str,
    by: Sequence[str] = (),
    how: str = "mean",
    x: str | None = None,
) -> pd.DataFrame:
    """One value of ``value`` per run (and per ``by`` group within a run).

    Rows without a value are dropped first. ``how`` is a pandas aggregation of the run's rows
    (``"mean"``, ``"last"``, ``"max"``, ``"min"``…); ``"last"`` with ``x`` takes the row with
    the largest ``x`` (the end of a learning curve) rather than the last row stored.
    ``by`` may name run-level columns (swept parameters) or columns that vary within a run
    (``role``): each run then gives one value per group.

    Returns:
        ``run_id, *by, [seed], value``, rows sorted by run id; ``seed`` when the table has it
        (to trace a value back to its run). Numbers come back as floats.

    Raises:
        KeyError: naming a missing column and the columns there are.

    """
    keys = ["run_id", *[c for c in _keys(by) if c != "run_id"]]
    extra = ["seed"] if "seed" in frame.columns and "seed" not in keys else []
    missing = [c for c in [value, *keys, *([x] if x else [])] if c not in frame.columns]
    if missing:
        raise KeyError(f"no column {missing}; columns: {', '.join(map(str, frame.columns))}")
    columns = list(dict.fromkeys([*keys, *extra, value, *([x] if x else [])]))
    data = frame.loc[frame[value].notna().to_numpy(), columns].reset_index(drop=True)
    grouped = data.groupby(keys, observed=True, dropna=False)
    if how == "last" and x is not None:
        rows = grouped[x].idxmax()
        values = pd.Series(data[value].to_numpy()[rows.to_numpy()], index=rows.index, name=value)
    else:
        values = grouped[value].agg(how)
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        values = values.astype(np.float64)
    out = (grouped[extra].first().join(values) if extra else values.to_frame()).reset_index()
    out["run_id"] = out["run_id"].astype(str)
    return out


def across_runs(runs: pd.DataFrame, value: str, by: Sequence[str]) -> pd.DataFrame:
    """Mean, s.d., n and 95% interval of per-run values, per ``by`` group.

    Args:
        runs: One row per run (per group within a run), as :func:`per_run_values` gives.
        value: The per-run value's column.
        by: Grouping columns; empty for one group of every run (its key column is ``group``).

    Returns:
        ``*by, mean, sd, n, ci95_low, ci95_high``, one row per group, sorted by ``by``.

    """
    by = _keys(by)
    grouped = (
        runs.groupby(by, observed=True, dropna=False)[value]
        if by
        else runs[value].groupby(lambda _: "all")
    )
    out = pd.DataFrame(grouped.agg(mean="mean", sd="std", n="count"))
    out["ci95_low"], out["ci95_high"] = interval(out["mean"], out["sd"], out["n"])
    if not by:
        out.index.name = "group"
    return out.reset_index()


def summarize(
    frame: pd.DataFrame, value: str, by: Sequence[str], per_run: str = "mean"
) -> pd.DataFrame:
    """Across-run statistics of a per-run aggregate of ``value`` in a study table.

    Each run contributes one number per ``by`` group (``per_run`` of ``value`` over its rows:
    ``"mean"``, ``"last"``, ``"max"``, …), so runs with more rows do not weigh more; then per
    group: ``mean``, ``sd``, ``n`` and the 95% confidence interval of the mean (Student t).
    ``by=["run_id"]`` gives each run's own value (n = 1, no interval).

    Raises:
        KeyError: naming a missing column and the columns there are.

    """
    return across_runs(per_run_values(frame, value, by, per_run), value, by)
