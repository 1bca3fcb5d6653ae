"""Statistics of a study: one number per unit of analysis, then across units with a 95% interval.

**The unit of analysis** is what is independently replicated. By default it is the run: a run
is one independent draw of the whole simulation. A model whose runs hold many independent
replications (the pricing model's markets: each market has its own learners and never
interacts with another) declares them in its plugin (``units={"markets": "market"}``), and a
study may declare its own (``units = { agents = "agent" }`` for walkers with their own Q
tables); a table's unit is then ``run × unit`` and every statistic is over those. A band from
2 runs when there are 100 markets is not shown: 100 markets are.

**Every statistic** first reduces each unit to one number (a unit with more rows does not weigh
more), then reports across the units of a group their mean, s.d., n (the number of units,
always shown) and the 95% confidence interval of the mean: Student t with ``n − 1`` degrees of
freedom, undefined below two units.

**Bounded quantities** (a length, a count, a share: :data:`COMMON_BOUNDS`, plus what a model's
plugin declares, and every true/false column) have their interval clipped to the bounds. This
keeps the coverage of the interval exactly: the true mean lies within the bounds for sure, so
it lies in the clipped interval whenever it lies in the unclipped one; and no band of a path
length reaches −10.

This module is the one implementation of those steps. :meth:`StudyResults.summary
<socialrl.study.StudyResults.summary>` (and so ``socialrl show``), the models' study summaries,
the app's Explore page and the models' app views all call it, so the same data give the same
intervals everywhere. It sits in the engine's core (it imports no other part of socialrl), so
that every layer and every model package may use it.

* :func:`per_run_values` — one value per run, or per run × unit (its mean, last, max… of a
  column);
* :func:`across_runs` — mean, s.d., n and interval of those values, per group;
* :func:`summarize` — both in one call, for a study table;
* :func:`column_moments` and :func:`interval` — the same statistics over a units × points
  matrix, for curves that summarise many points at once;
* :func:`bounds_of` — the bounds of a quantity; :func:`ci_half_width` — the interval's
  half-width alone.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "COMMON_BOUNDS",
    "Bounds",
    "Moments",
    "across_runs",
    "bounds_of",
    "ci_half_width",
    "column_moments",
    "interval",
    "per_run_values",
    "summarize",
]

ArrayLike = pd.Series | np.ndarray
#: ``(lowest, highest)`` a quantity can take; None: unbounded on that side.
Bounds = tuple[float | None, float | None]
UNBOUNDED: Bounds = (None, None)

#: Bounds of the columns the engine's tables and the lab's models share (``fnmatch``
#: patterns); a model plugin's ``bounds`` add to and override these.
COMMON_BOUNDS: Mapping[str, Bounds] = {
    "length": (0, None),
    "end_step": (0, None),
    "episode": (0, None),
    "episodes": (0, None),
    "greedy_path_length": (0, None),
    "greedy_optimal": (0, 1),
    "learned": (0, 1),
    "*_share": (0, 1),
    "share_*": (0, 1),
    "*_rate": (0, 1),
    "*epsilon": (0, 1),
    "converged": (0, 1),
    "cycle_length": (1, None),
}


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


def interval(
    mean: ArrayLike, sd: ArrayLike, n: ArrayLike, bounds: Bounds = UNBOUNDED
) -> tuple[ArrayLike, ArrayLike]:
    """``(low, high)``: the 95% confidence interval of each mean (NaN where n < 2).

    With ``bounds`` the interval is clipped to them (see the module docstring: coverage is
    kept, since the true mean lies within the bounds).
    """
    half = ci_half_width(sd, n)
    low, high = mean - half, mean + half
    lowest, highest = bounds
    if lowest is not None or highest is not None:
        low, high = np.clip(low, lowest, highest), np.clip(high, lowest, highest)
    return low, high


def bounds_of(
    column: str, declared: Mapping[str, Bounds] | None = None, values: ArrayLike | None = None
) -> Bounds:
    """The bounds of quantity ``column``: declared (exact name, then patterns), else none.

    ``declared`` (a model plugin's) comes before :data:`COMMON_BOUNDS`; a true/false column
    (``values`` of bool dtype) is a share of true, in [0, 1].
    """
    for table in (declared or {}, COMMON_BOUNDS):
        if column in table:
            return table[column]
        for pattern, bounds in table.items():
            if fnmatch.fnmatchcase(column, pattern):
                return bounds
    if values is not None and pd.api.types.is_bool_dtype(np.asarray(values).dtype):
        return (0, 1)
    return UNBOUNDED


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
    unit: str | None = None,
) -> pd.DataFrame:
    """One value of ``value`` per run — or per run × ``unit`` — (and per ``by`` group).

    ``unit`` names the column of the table's unit of analysis within a run (``market``): each
    (run, unit) then gives one value (see the module docstring).

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
    within = [unit] if unit else []
    keys = ["run_id", *within, *[c for c in _keys(by) if c not in ("run_id", *within)]]
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


def across_runs(
    runs: pd.DataFrame, value: str, by: Sequence[str], bounds: Bounds = UNBOUNDED
) -> pd.DataFrame:
    """Mean, s.d., n and 95% interval of per-unit values, per ``by`` group.

    Args:
        runs: One row per run or run × unit (per group within it), as
            :func:`per_run_values` gives.
        value: The per-unit value's column.
        by: Grouping columns; empty for one group of every row (its key column is ``group``).
        bounds: The quantity's bounds (the interval is clipped to them).

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
    out["ci95_low"], out["ci95_high"] = interval(out["mean"], out["sd"], out["n"], bounds)
    if not by:
        out.index.name = "group"
    return out.reset_index()


def summarize(
    frame: pd.DataFrame,
    value: str,
    by: Sequence[str],
    per_run: str = "mean",
    unit: str | None = None,
    bounds: Bounds | None = None,
) -> pd.DataFrame:
    """Across-unit statistics of a per-unit aggregate of ``value`` in a study table.

    Each run (or run × ``unit``) contributes one number per ``by`` group (``per_run`` of
    ``value`` over its rows: ``"mean"``, ``"last"``, ``"max"``, …), so units with more rows do
    not weigh more; then per group: ``mean``, ``sd``, ``n`` and the 95% confidence interval of
    the mean (Student t, clipped to the quantity's bounds: :func:`bounds_of` unless given).
    ``by=["run_id"]`` gives each run's own value (n = 1, no interval).

    Raises:
        KeyError: naming a missing column and the columns there are.

    """
    if bounds is None:
        bounds = bounds_of(value, values=frame[value] if value in frame.columns else None)
    return across_runs(per_run_values(frame, value, by, per_run, unit=unit), value, by, bounds)
