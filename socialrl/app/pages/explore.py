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
        y = _pick("Metric", metrics, f"explore_metric_{table}")
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
    st.plotly_chart(charts.curves_figure(curves, colour, facet), key="explore_curves")
    text = (
        f"Mean of {y} across runs (seeds) with 95% confidence bands (Student t); "
        f"{curves.runs} runs, {curves.rows:,} rows."
    )
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
    per_run_tab, rows_tab = st.tabs(["one value per run", "every row"])
    with per_run_tab:
        title = f"{how} of {y} per run" + (f" (by {column_label(colour)})" if colour else "")
        st.plotly_chart(
            charts.distribution_figure(runs, y, colour, title), key="explore_distribution"
        )
        summary = across_runs(runs, y, by)
        summary = summary.rename(columns={c: column_label(c) for c in by})
        st.dataframe(summary, hide_index=True, width="stretch")
    with rows_tab:
        hist = derived.histogram(study, table, y)
        st.plotly_chart(
            charts.histogram_figure(hist, y, f"{y}: every row of every run"),
            key="explore_histogram",
        )
    return how


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
    st.plotly_chart(charts.heatmap_figure(means, counts, y, rows, cols), key="explore_heatmap")
    st.caption(f"Each cell: the mean over runs (seeds) of the {how} of {y} per run.")


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
    table = _pick("Table", info["table_names"], "explore_table", default="steps")
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
