"""What the Explore page draws, computed as tidy frames (no Streamlit, no Plotly here).

Seeds are the unit of replication: every statistic is computed *per run* first (a run with
more rows does not weigh more) and then *across runs*: mean, s.d., n and the 95% confidence
interval of the mean (Student t), as :func:`socialrl.study.summarize` does.

Large tables are **downsampled for drawing, never for statistics**: when a curve has more
distinct x values than ``max_points``, x is cut into ``max_points`` equal bins, each run's
rows in a bin are averaged (every row counts), and the bin's point is drawn at the mean x of
those rows. The :class:`Curves` say whether and how much that happened, for the page to say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from socialrl.app.labels import KEY_COLUMNS

__all__ = [
    "MAX_POINTS",
    "Curves",
    "across_runs",
    "ci_half_width",
    "grid_means",
    "histogram",
    "learning_curves",
    "metric_columns",
    "per_run",
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
        runs: Runs that entered.
        points: Distinct x values in the data.
        bin_width: Width of the x bins when downsampled, else None.

    """

    frame: pd.DataFrame
    x: str
    y: str
    by: list[str]
    rows: int
    runs: int
    points: int
    bin_width: float | None

    @property
    def downsampled(self) -> bool:
        """Whether x was binned for drawing."""
        return self.bin_width is not None


def ci_half_width(sd: pd.Series | np.ndarray, n: pd.Series | np.ndarray) -> np.ndarray:
    """Half-width of the 95% confidence interval of a mean (Student t); NaN where n < 2."""
    from scipy import stats  # imported on first use: it takes a moment

    n_arr = np.asarray(n, dtype=np.float64)
    t = stats.t.ppf(0.975, np.maximum(n_arr - 1, 1))
    half = t * np.asarray(sd, dtype=np.float64) / np.sqrt(np.maximum(n_arr, 1))
    return np.where(n_arr > 1, half, np.nan)


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


def _first_rows(codes: np.ndarray, k: int) -> np.ndarray:
    """Index of the first row of each code (−1 for a code without rows), in one pass."""
    first = np.full(k, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)  # the last write is the first row
    return first


def learning_curves(
    frame: pd.DataFrame, x: str, y: str, by: list[str], max_points: int = MAX_POINTS
) -> Curves:
    """Mean of ``y`` across runs at each ``x``, with 95% bands, per ``by`` group.

    Per run and x bin the rows are summed with ``numpy.bincount`` over one integer key
    (run × bin): linear in the rows, no sort and no hashing of a million keys. The runs × bins
    matrix of means is then reduced across the runs of each group.

    Args:
        frame: A study table (``run_id``, ``x``, ``y`` and the ``by`` columns).
        x: The time axis (``step``, ``end_step``, ``episode``, ``tau``…).
        y: The metric.
        by: Swept parameters to split curves by (colour, facet); may be empty.
        max_points: Most points per curve (see the module docstring).

    """
    by = [c for c in dict.fromkeys(by) if c]
    values = frame[y].to_numpy(dtype=np.float64)
    xs = frame[x].to_numpy(dtype=np.float64)
    keep = np.isfinite(values) & np.isfinite(xs)
    if not keep.all():
        frame, values, xs = frame[keep], values[keep], xs[keep]
    runs, n_runs = _codes(frame["run_id"])
    positions, distinct = pd.factorize(xs)
    points = int(distinct.size)
    width: float | None = None
    if points > max_points:
        lo, hi = float(xs.min()), float(xs.max())
        width = (hi - lo) / max_points
        bins = np.clip(((xs - lo) / width).astype(np.int64), 0, max_points - 1)
        n_bins = max_points
    else:
        order = np.argsort(distinct)  # bins in x order
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        bins, n_bins = rank[positions], points
    key = runs * n_bins + bins
    size = n_runs * n_bins
    count = np.bincount(key, minlength=size).reshape(n_runs, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_y = np.bincount(key, weights=values, minlength=size).reshape(n_runs, n_bins) / count
        mean_x = np.bincount(key, weights=xs, minlength=size).reshape(n_runs, n_bins) / count
    first = _first_rows(runs, n_runs)
    present = first >= 0
    keys = frame[by].iloc[first[present]].reset_index(drop=True) if by else None
    groups = (
        keys.groupby(by, observed=True, dropna=False, sort=False).indices
        if keys is not None
        else {(): np.arange(int(present.sum()))}
    )
    mean_y, mean_x = mean_y[present], mean_x[present]
    parts = []
    for value, members in groups.items():
        ys, xs_ = mean_y[members], mean_x[members]
        n = np.isfinite(ys).sum(axis=0)
        live = n > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(ys, axis=0) / n
            centre = np.nansum(xs_, axis=0) / n
            sd = np.sqrt(np.nansum((ys - mean) ** 2, axis=0) / (n - 1))
        sd = np.where(n > 1, sd, np.nan)
        half = ci_half_width(sd, n)
        part = {
            "x": centre,
            "mean": mean,
            "low": mean - half,
            "high": mean + half,
            "sd": sd,
            "n": n,
        }
        table = pd.DataFrame({k: v[live] for k, v in part.items()})
        for column, item in zip(by, value if isinstance(value, tuple) else (value,), strict=False):
            table.insert(len(table.columns) - 6, column, item)
        parts.append(table)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if by and len(out):
        for column in by:  # keep the parameters' own types (numbers sort as numbers)
            if isinstance(frame[column].dtype, pd.CategoricalDtype):
                out[column] = out[column].astype(str)
        out = out.sort_values([*by, "x"], kind="stable").reset_index(drop=True)
    return Curves(
        frame=out,
        x=x,
        y=y,
        by=by,
        rows=int(values.size),
        runs=int(present.sum()),
        points=points,
        bin_width=width,
    )


def per_run(
    frame: pd.DataFrame, y: str, by: list[str], how: str = "last", x: str | None = None
) -> pd.DataFrame:
    """One value of ``y`` per run: its ``last`` (in ``x`` order), ``mean``, ``min`` or ``max``.

    Returns:
        ``run_id, *by, y`` — plus ``seed`` when the table has it (for hover text).

    """
    by = [c for c in dict.fromkeys(by) if c]
    extra = [c for c in ("seed",) if c in frame.columns and c not in by]
    data = frame[frame[y].notna()]
    if how == "last":
        if x is not None:  # the row of the largest x in each run (no sort of every row)
            last_rows = data.groupby("run_id", observed=True, sort=False)[x].idxmax()
            values = data.loc[last_rows.to_numpy(), ["run_id", y]].set_index("run_id")[y]
        else:
            values = data.groupby("run_id", observed=True, sort=False)[y].last()
    elif how in ("mean", "min", "max"):
        values = data.groupby("run_id", observed=True, sort=False)[y].agg(how)
    else:
        raise ValueError(f"how must be last, mean, min or max, got {how!r}")
    keys = data.groupby("run_id", observed=True, sort=False)[[*by, *extra]].first()
    out = keys.join(values.astype(np.float64)).reset_index()
    out["run_id"] = out["run_id"].astype(str)
    return out


def across_runs(runs: pd.DataFrame, y: str, by: list[str]) -> pd.DataFrame:
    """Mean, s.d., n and 95% CI across runs of per-run values, per ``by`` group."""
    by = [c for c in dict.fromkeys(by) if c]
    grouped = (
        runs.groupby(by, observed=True, dropna=False)[y] if by else runs[y].groupby(lambda _: "all")
    )
    out = pd.DataFrame(grouped.agg(mean="mean", sd="std", n="count"))
    half = ci_half_width(out["sd"], out["n"])
    out["ci95_low"] = out["mean"] - half
    out["ci95_high"] = out["mean"] + half
    if not by:
        out.index.name = "group"
    return out.reset_index()


def grid_means(
    runs: pd.DataFrame, y: str, rows: str, cols: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean of per-run ``y`` over two parameters: ``(means, counts)`` as rows × cols tables."""
    table = runs.groupby([rows, cols], observed=True, dropna=False)[y].agg(["mean", "count"])
    means = table["mean"].unstack(cols)
    counts = table["count"].unstack(cols)
    return means, counts


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
