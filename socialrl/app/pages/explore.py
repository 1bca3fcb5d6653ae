"""Explore: any table and metric — learning curves, final-value distributions, a heatmap.

* **Learning curves**: the metric's mean across runs (seeds) over time, with its 95%
  confidence band, coloured and faceted by any swept parameter.
* **Final values**: one value per run (its last, mean, min or max), as box plots with every run
  as a point, and the across-seed statistics; or every row's value as a histogram.
* **Heatmap**: the per-run value's mean over any two swept parameters (e.g. Calvano's α × β
  map of the profit gain Δ).

Curves of large tables are downsampled for drawing (the page says so); statistics always use
every row of every finished run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from socialrl.app import charts, derived, stats, ui
from socialrl.app.data import Study, StudyError
from socialrl.app.labels import column_label
from socialrl.statistics import across_runs

#: Per-run aggregate shown first, per table (the last step of a learning curve; the mean
#: over episodes or markets, which are replications within a run).
DEFAULT_HOW = {"steps": "last", "agents": "last"}
#: Columns never offered as metrics (identities and positions, not measurements).
NOT_METRICS = {"agent", "state", "market", "firm", "row", "col", "action", "grid_rows", "grid_cols"}


def _pick(label: str, options: list[str], key: str, default: str | None = None, **kw: Any) -> str:
    """A selectbox that keeps its choice while it remains an option."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    return str(st.selectbox(label, options, key=key, **kw))


def _optional(label: str, options: list[str], key: str, default: str | None = None) -> str | None:
    choice = _pick(label, ["(none)", *options], key, default=default, format_func=_param_label)
    return None if choice == "(none)" else choice


def _param_label(column: str) -> str:
    return column if column == "(none)" else column_label(column)


def controls(
    study: Study, frame: pd.DataFrame, table: str
) -> tuple[str, str | None, str | None, str | None]:
    """Metric, x axis, colour and facet choices."""
    info = study.info()
    swept = [c for c in info["swept"] if c in frame.columns]
    times = derived.time_columns(frame)
    metrics = [
        c
        for c in stats.metric_columns(frame, info["parameter_columns"])
        if c not in times and c not in NOT_METRICS
    ]
    if not metrics:
        raise StudyError(f"the {table} table has no numeric metric to plot")
    a, b, c, d = st.columns(4)
    with a:
        headline = info.get("headline") or (None, None)
        default = headline[1] if headline[0] == table else None
        y = _pick("Metric", metrics, f"explore_metric_{table}", default=default)
    with b:
        x = _pick("x axis", times, f"explore_x_{table}") if times else None
    with c:
        colour = _optional("Colour by", swept, "explore_colour", swept[0] if swept else None)
    with d:
        facet = _optional("Facet by", [s for s in swept if s != colour], "explore_facet")
    return y, x, colour, facet


def learning_curves(
    study: Study, table: str, x: str | None, y: str, colour: str | None, facet: str | None
) -> None:
    """Mean curves with 95% bands across seeds."""
    st.subheader("Learning curves")
    if x is None:
        st.info(f"The {table} table has no time column (step, episode, tau): no curves.")
        return
    by = [c for c in (colour, facet) if c]
    curves = derived.curves(study, table, x, y, by)
    _pooling_warning(study, by)
    st.plotly_chart(charts.curves_figure(curves, colour, facet), key="explore_curves")
    n = curves.frame["n"] if len(curves.frame) else pd.Series([0])
    units = _units(study, table)
    text = (
        f"Mean of {y} across {units} with 95% confidence bands (Student t over the {units}"
        f"{_bounds_text(study, y)}); n = {int(n.min())}–{int(n.max())} {units} per point "
        f"(hover a point for its n), {curves.runs} {units} in all, {curves.rows:,} rows."
    )
    starts = (
        curves.frame.groupby(by, observed=True)["x"].min() if by and len(curves.frame) else None
    )
    if starts is not None and starts.nunique() > 1:
        text += f" Curves start where {y} first has a value, at different {x}."
    if curves.downsampled:
        text += (
            f" **Downsampled for drawing**: {curves.points:,} distinct {x} values binned into "
            f"{stats.MAX_POINTS} bins of {curves.bin_width:.4g}; each run's rows in a bin are "
            "averaged, so every row enters the statistics."
        )
    st.caption(text)


def final_values(
    study: Study, table: str, x: str | None, y: str, colour: str | None, facet: str | None
) -> str:
    """Distribution of one value per run, and of every row; returns the per-run aggregate."""
    st.subheader("Final values")
    hows = ["last", "mean", "min", "max"] if x else ["mean", "min", "max"]
    default = DEFAULT_HOW.get(table, "mean")
    how = str(
        st.radio(
            "One value per run",
            hows,
            index=hows.index(default) if default in hows else 0,
            horizontal=True,
            key=f"explore_how_{table}",
            help="last: the value at the run's last recorded x; mean/min/max over its rows.",
        )
    )
    by = [c for c in (colour, facet) if c]
    runs = derived.per_run(study, table, y, by, how, x)
    unit = study.unit_of(table) or "run"
    per_run_tab, rows_tab = st.tabs([f"one value per {unit}", "every row"])
    with per_run_tab:
        title = f"{how} of {y} per {unit}" + (f" (by {column_label(colour)})" if colour else "")
        st.plotly_chart(
            charts.distribution_figure(runs, y, colour, title), key="explore_distribution"
        )
        bounds = study.bounds_of(y)
        summary = across_runs(runs, y, by, bounds)
        st.caption(
            f"n: {_units(study, table)} behind each row; the interval is Student t over them"
            f"{_bounds_text(study, y)}."
        )
        summary = summary.rename(columns={c: column_label(c) for c in by})
        st.dataframe(summary, hide_index=True, width="stretch")
    with rows_tab:
        hist = derived.histogram(study, table, y)
        st.plotly_chart(
            charts.histogram_figure(hist, y, f"{y}: every row of every run"),
            key="explore_histogram",
        )
    return how


def _units(study: Study, table: str) -> str:
    """What the statistics of ``table`` are over, in words: runs, or the run × unit."""
    unit = study.unit_of(table)
    return "runs (seeds)" if unit is None else f"{unit}s (each {unit} of each run)"


def _bounds_text(study: Study, y: str) -> str:
    low, high = study.bounds_of(y)
    if low is None and high is None:
        return ""
    shown = f"[{'−∞' if low is None else f'{low:g}'}, {'∞' if high is None else f'{high:g}'}]"
    return f", clipped to {shown}: what {y} can take"


def _pooling_warning(study: Study, by: list[str]) -> None:
    """Say so when a swept parameter that is not shown varies within the curves (pooled)."""
    values = study.info()["swept_values"]
    pooled = [k for k in study.info()["swept"] if k not in by and len(values.get(k, [])) > 1]
    if pooled:
        names = ", ".join(f"{column_label(k)} ({len(values[k])} values)" for k in pooled)
        st.warning(
            f"Pooled over {names}: each curve mixes the runs of every value. Choose it as "
            "colour or facet to see them apart."
        )


def heatmap(study: Study, table: str, x: str | None, y: str, how: str) -> None:
    """Mean per-run value over two swept parameters."""
    st.subheader("Heatmap over two swept parameters")
    swept = study.info()["swept"]
    if len(swept) < 2:
        st.info(
            "A heatmap needs two swept parameters; this study sweeps "
            + (", ".join(column_label(s) for s in swept) or "none")
            + "."
        )
        return
    a, b = st.columns(2)
    with a:
        rows = _pick("Rows", swept, "explore_heat_rows", format_func=column_label)
    with b:
        others = [s for s in swept if s != rows]
        cols = _pick("Columns", others, "explore_heat_cols", format_func=column_label)
    runs = derived.per_run(study, table, y, [rows, cols], how, x)
    means, counts = stats.grid_means(runs, y, rows, cols)
    unit = study.unit_of(table)
    units = "runs" if unit is None else f"{unit}s"
    figure = charts.heatmap_figure(means, counts, y, rows, cols, unit=units)
    st.plotly_chart(figure, key="explore_heatmap")
    st.caption(
        f"Each cell: the mean over {_units(study, table)} of the {how} of {y} per "
        f"{unit or 'run'}; n = {int(counts.min().min())}–{int(counts.max().max())} {units} per "
        "cell (hover a cell for its n)."
    )


def render() -> None:
    """The Explore page."""
    st.title("Explore")
    study = ui.selected_study()
    if study is None:
        return
    info = study.info()
    if info["status"]["done"] == 0:
        st.warning("This study has no finished run yet: nothing to explore.")
        return
    headline = info.get("headline") or ("steps", None)
    table = _pick("Table", info["table_names"], "explore_table", default=headline[0])
    try:
        with st.spinner(f"Loading the {table} table…"):
            loaded = study.table(table)
        ui.notes(loaded.notes)
        if loaded.frame.empty:
            st.info(f"The {table} table is empty in every finished run.")
            return
        y, x, colour, facet = controls(study, loaded.frame, table)
        learning_curves(study, table, x, y, colour, facet)
        how = final_values(study, table, x, y, colour, facet)
        heatmap(study, table, x, y, how)
    except StudyError as err:
        st.error(str(err))


if __name__ == "__main__":
    render()
