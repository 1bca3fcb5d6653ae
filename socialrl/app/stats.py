"""What the Explore page draws, computed as tidy frames (no Streamlit, no Plotly here).

Seeds are the unit of replication: every statistic is computed *per run* first (a run with
more rows does not weigh more) and then *across runs*: mean, s.d., n and the 95% confidence
interval of the mean, by :mod:`socialrl.statistics` — the one implementation that
``StudyResults.summary`` and ``socialrl show`` use too. One value per run and its statistics
across runs come from there directly (:func:`~socialrl.statistics.per_run_values`,
:func:`~socialrl.statistics.across_runs`); this module adds what only drawing needs.

Large tables are **downsampled for drawing, never for statistics**: when a curve has more
distinct x values than ``max_points``, x is cut into ``max_points`` equal bins, each run's
rows in a bin are averaged (every row counts), and the bin's point is drawn at the mean x of
those rows. The :class:`Curves` say whether and how much that happened, for the page to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from socialrl.app.labels import KEY_COLUMNS
from socialrl.statistics import Bounds, across_runs, column_moments, interval

__all__ = [
    "MAX_POINTS",
    "Curves",
    "grid_means",
    "histogram",
    "learning_curves",
    "metric_columns",
]

#: Points per drawn curve; a browser draws a few hundred per line at once, and the eye
#: resolves no more on a chart a few hundred pixels wide.
MAX_POINTS = 400


@dataclass(frozen=True)
class Curves:
    """Mean curves with 95% bands, one per group.

    Attributes:
        frame: ``*by, x, mean, low, high, sd, n`` (``n``: runs at that point).
        x: The x column.
        y: The metric.
        by: Grouping columns (colour, facet).
        rows: Table rows that entered the statistics (every row with a value).
        runs: Units that entered (runs, or run × ``unit``).
        points: Distinct x values in the data.
        bin_width: Width of the x bins when downsampled, else None.
        unit: The unit of analysis within a run (None: the run).

    """

    frame: pd.DataFrame
    x: str
    y: str
    by: list[str]
    rows: int
    runs: int
    points: int
    bin_width: float | None
    unit: str | None = None

    @property
    def downsampled(self) -> bool:
        """Whether x was binned for drawing."""
        return self.bin_width is not None


def metric_columns(frame: pd.DataFrame, parameters: list[str] | None = None) -> list[str]:
    """Numeric columns worth plotting: not keys, not parameters."""
    skip = set(KEY_COLUMNS) | set(parameters or [])
    return [
        c
        for c in frame.columns
        if c not in skip
        and (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
    ]


def _codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes ``0 … k−1`` of a column's values, and ``k`` (categoricals: no hashing)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        return codes.astype(np.int64), len(column.cat.categories)
    codes, uniques = pd.factorize(column)
    return codes.astype(np.int64), len(uniques)


def _unit_codes(frame: pd.DataFrame, unit: str | None) -> tuple[np.ndarray, int]:
    """Codes of each row's unit of analysis: its run, or its (run, ``unit``) pair."""
    runs, n_runs = _codes(frame["run_id"])
    if unit is None:
        return runs, n_runs
    inner, n_inner = _codes(frame[unit])
    return _codes(pd.Series(runs * n_inner + inner))


def _groups(frame: pd.DataFrame, by: list[str], first: np.ndarray) -> dict[Any, np.ndarray]:
    """The units of each ``by`` group, from each unit's first row: value → unit indices."""
    if not by:
        return {(): np.arange(first.size)}
    keys = frame[by].iloc[first].reset_index(drop=True)
    indices = keys.groupby(by, observed=True, dropna=False, sort=False).indices
    return {value: np.asarray(members) for value, members in indices.items()}


def _first_rows(codes: np.ndarray, k: int) -> np.ndarray:
    """Index of the first row of each code (−1 for a code without rows), in one pass."""
    first = np.full(k, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)  # the last write is the first row
    return first


def _x_bins(xs: np.ndarray, max_points: int) -> tuple[np.ndarray, int, int, float | None]:
    """Each row's x bin, the number of bins, of distinct x values, and the bins' width.

    Up to ``max_points`` distinct values each x is its own bin (in x order, width None);
    beyond, x is cut into ``max_points`` equal bins.
    """
    positions, distinct = pd.factorize(xs)
    points = int(distinct.size)
    if points > max_points:
        lo, hi = float(xs.min()), float(xs.max())
        width = (hi - lo) / max_points
        bins = np.clip(((xs - lo) / width).astype(np.int64), 0, max_points - 1)
        return bins, max_points, points, width
    order = np.argsort(distinct)  # bins in x order
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[positions], points, points, None


def _bin_means(
    key: np.ndarray, shape: tuple[int, int], values: np.ndarray, xs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Runs × bins matrices of each run's mean y and mean x in each bin (NaN: no rows).

    ``key`` is each row's ``run × bins + bin``: ``numpy.bincount`` sums the rows in one linear
    pass, with no sort and no hashing of a million keys.
    """
    size = shape[0] * shape[1]
    count = np.bincount(key, minlength=size).reshape(shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_y = np.bincount(key, weights=values, minlength=size).reshape(shape) / count
        mean_x = np.bincount(key, weights=xs, minlength=size).reshape(shape) / count
    return mean_y, mean_x


def _curve(mean_y: np.ndarray, mean_x: np.ndarray, bounds: Bounds) -> pd.DataFrame:
    """One group's curve from its units × bins means: ``x, mean, low, high, sd, n`` per bin."""
    mean, sd, n = column_moments(mean_y)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.nansum(mean_x, axis=0) / n
    low, high = interval(mean, sd, n, bounds)
    part = {"x": centre, "mean": mean, "low": low, "high": high, "sd": sd, "n": n}
    live = n > 0
    return pd.DataFrame({k: np.asarray(v)[live] for k, v in part.items()})


def _sorted_curves(parts: list[pd.DataFrame], frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The groups' curves in one frame, sorted by group then x; categorical keys as text."""
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if by and len(out):
        for column in by:  # keep the parameters' own types (numbers sort as numbers)
            if isinstance(frame[column].dtype, pd.CategoricalDtype):
                out[column] = out[column].astype(str)
        out = out.sort_values([*by, "x"], kind="stable").reset_index(drop=True)
    return out


def learning_curves(
    frame: pd.DataFrame,
    x: str,
    y: str,
    by: list[str],
    max_points: int = MAX_POINTS,
    unit: str | None = None,
    bounds: Bounds = (None, None),
) -> Curves:
    """Mean of ``y`` across units (runs, or run × ``unit``) at each ``x``, per ``by`` group.

    Each unit's rows are averaged per x bin (:func:`_bin_means`); the units × bins matrix of
    means is then reduced across the units of each group by
    :func:`socialrl.statistics.column_moments`, with 95% bands clipped to ``bounds``.

    Args:
        frame: A study table (``run_id``, ``x``, ``y`` and the ``by`` columns).
        x: The time axis (``step``, ``end_step``, ``episode``, ``tau``…).
        y: The metric.
        by: Swept parameters to split curves by (colour, facet); may be empty.
        max_points: Most points per curve (see the module docstring).
        unit: The table's unit of analysis within a run (``market``), or None for the run.
        bounds: What ``y`` can take (:func:`socialrl.statistics.bounds_of`).

    """
    by = [c for c in dict.fromkeys(by) if c]
    values = frame[y].to_numpy(dtype=np.float64)
    xs = frame[x].to_numpy(dtype=np.float64)
    keep = np.isfinite(values) & np.isfinite(xs)
    if not keep.all():
        frame, values, xs = frame[keep], values[keep], xs[keep]
    runs, n_runs = _unit_codes(frame, unit)
    bins, n_bins, points, width = _x_bins(xs, max_points)
    mean_y, mean_x = _bin_means(runs * n_bins + bins, (n_runs, n_bins), values, xs)
    first = _first_rows(runs, n_runs)
    present = first >= 0
    mean_y, mean_x = mean_y[present], mean_x[present]
    groups = _groups(frame, by, first[present])
    parts = []
    for value, members in groups.items():
        table = _curve(mean_y[members], mean_x[members], bounds)
        for column, item in zip(by, value if isinstance(value, tuple) else (value,), strict=False):
            table.insert(len(table.columns) - 6, column, item)
        parts.append(table)
    return Curves(
        frame=_sorted_curves(parts, frame, by),
        x=x,
        y=y,
        by=by,
        rows=int(values.size),
        runs=int(present.sum()),
        points=points,
        bin_width=width,
        unit=unit,
    )


def grid_means(
    runs: pd.DataFrame, y: str, rows: str, cols: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean of per-run ``y`` over two parameters: ``(means, counts)`` as rows × cols tables."""
    table = across_runs(runs, y, [rows, cols]).set_index([rows, cols])
    means, counts = (table[c].unstack(cols).sort_index().sort_index(axis=1) for c in ("mean", "n"))
    return means, counts  # sorted, a missing value (a parameter that does not apply) last


def histogram(values: pd.Series | np.ndarray, bins: int = 60) -> pd.DataFrame:
    """Counts of every value in equal bins (a histogram of a million rows is 60 bars).

    Returns:
        ``left, right, center, count``.

    """
    data = np.asarray(values, dtype=np.float64)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return pd.DataFrame(columns=["left", "right", "center", "count"])
    counts, edges = np.histogram(data, bins=bins)
    return pd.DataFrame(
        {
            "left": edges[:-1],
            "right": edges[1:],
            "center": (edges[:-1] + edges[1:]) / 2,
            "count": counts,
        }
    )
