"""Sensitivity: which parameters matter, the outcome against each, and where a threshold is crossed.

* **Indices** — Sobol first- and total-order indices (a Sobol design), Morris μ* (a Morris
  design) or the model-free δ (any sampled design), with SALib's 95% bootstrap intervals;
* **Outcome against each parameter** — one marker per design point (its mean over units and
  replications), for any design that varies parameters;
* **Scenario discovery** — PRIM boxes where the outcome is above or below a value, with
  their coverage and density and the peeling path they were chosen from.

Every table here is what ``StudyResults.sensitivity`` / ``StudyResults.scenarios`` return.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from socialrl.app import derived, design_analysis, design_charts, stats, ui
from socialrl.app.data import Study, StudyError

#: Identity columns of tables that are never outcomes.
NOT_OUTCOMES = {"agent", "state", "market", "firm", "row", "col", "action", "sample", "point"}


def choose_outcome(study: Study) -> tuple[str, str, str]:
    """The table, outcome column and per-unit reduction the page analyses."""
    info = study.info()
    headline = info.get("headline") or ("steps", None)
    tables = [t for t in info["table_names"] if t not in ("agents",)] or info["table_names"]
    a, b, c = st.columns(3)
    with a:
        default = tables.index(headline[0]) if headline[0] in tables else 0
        table = str(st.selectbox("Table", tables, index=default, key="sens_table"))
    frame = study.table(table).frame
    outcomes = [
        col
        for col in stats.metric_columns(frame, info["parameter_columns"])
        if col not in NOT_OUTCOMES and col not in derived.time_columns(frame)
    ]
    if not outcomes:
        raise StudyError(f"the {table} table has no numeric outcome")
    with b:
        wanted = headline[1] if headline[0] == table else None
        index = outcomes.index(wanted) if wanted in outcomes else 0
        outcome = str(st.selectbox("Outcome", outcomes, index=index, key=f"sens_outcome_{table}"))
    with c:
        hows = ["last", "mean"] if "step" in frame.columns else ["mean", "last"]
        how = str(st.radio("One value per unit", hows, horizontal=True, key=f"sens_how_{table}"))
    return table, outcome, how


def indices_section(study: Study, table: str, outcome: str, how: str) -> None:
    """Sensitivity indices, when the design is a sample."""
    st.subheader("Which parameters matter")
    kind = design_analysis.design_kind(study)
    if kind is None:
        st.info(
            "Sensitivity indices need a sampled design: add `[sweep.sample]` with `method = "
            '"sobol"` (Sobol indices), `"morris"` (elementary effects) or `"lhs"` (the model-free '
            "δ) to the study. The scatter plots and scenario discovery below work for any design."
        )
        return
    methods = {"sobol": ["sobol", "delta"], "morris": ["morris", "delta"]}.get(kind, ["delta"])
    method = str(st.radio("Method", methods, horizontal=True, key="sens_method"))
    table_ = design_analysis.indices(study, outcome, method, table, how)
    st.plotly_chart(design_charts.indices_figure(table_, method), key="sens_indices")
    st.dataframe(table_, hide_index=True, width="stretch")
    st.caption(
        f"{kind} design, n = {int(table_['n'].iloc[0])} sample rows (each the mean of {outcome} "
        f"over its units and replications); whiskers and *_conf: SALib's 95% bootstrap "
        "half-widths. "
        + {
            "sobol": "S1: the share of the variance due to the parameter alone; ST: alone and "
            "in interaction with the others.",
            "morris": "μ*: mean absolute elementary effect over the parameter's whole range; "
            "σ: non-linearity and interactions.",
            "delta": "δ: Borgonovo's moment-independent importance; S1 estimated from the same "
            "points.",
        }[method]
    )


def scatter_section(points: pd.DataFrame, outcome: str) -> list[str]:
    """The outcome against each varied parameter; returns those parameters."""
    st.subheader(f"{outcome} against each parameter")
    params = [c for c in points.columns if c != outcome]
    st.plotly_chart(design_charts.scatter_figure(points, outcome, params), key="sens_scatter")
    st.caption(f"One marker per design point: {len(points)} points.")
    return params


def scenario_section(study: Study, points: pd.DataFrame, table: str, outcome: str, how: str,
                     params: list[str]) -> None:  # fmt: skip
    """PRIM: boxes of the parameter space where the outcome is beyond a value."""
    st.subheader("Scenario discovery (PRIM)")
    a, b, c = st.columns(3)
    with a:
        side = str(st.radio("Cases of interest", ["above", "below"], horizontal=True,
                            key="sens_side"))  # fmt: skip
    with b:
        value = float(st.number_input(f"{outcome} value", value=float(points[outcome].median()),
                                      format="%.4g", key=f"sens_value_{outcome}"))  # fmt: skip
    with c:
        density = float(st.slider("Density of the chosen box", 0.5, 1.0, 0.8, 0.05,
                                  key="sens_density"))  # fmt: skip
    found = design_analysis.scenarios(
        study, outcome, **{side: value}, table=table, per_run=how, density=density
    )
    boxes = found.boxes
    st.markdown(
        f"**{found.rule}** at {int(found.points['case'].sum())} of {len(found.points)} design "
        f"points. Box 0 limits {int(boxes['restricted'].iloc[0])} parameter(s): coverage "
        f"{boxes['coverage'].iloc[0]:.0%} (share of the cases inside), density "
        f"{boxes['density'].iloc[0]:.0%} (share of the box's points that are cases)."
    )
    restricted = found.limits[found.limits["restricted"]]
    st.dataframe(restricted if len(restricted) else found.limits, hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(design_charts.tradeoff_figure(found.trajectory, boxes), key="sens_trade")
    with right:
        if len(params) >= 2:
            order = [*restricted["parameter"], *params]
            x, y = list(dict.fromkeys(p for p in order if p in params))[:2]
            figure = design_charts.box_figure(found.points, x, y, found.limits, found.rule)
            st.plotly_chart(figure, key="sens_box")
    st.caption(
        "PRIM (EMA Workbench) peels the space 5% of the points at a time, keeping the densest "
        "part; the box shown is the one on that path with the most coverage at the chosen "
        "density."
    )


def render() -> None:
    """The Sensitivity page."""
    st.title("Sensitivity")
    study = ui.selected_study()
    if study is None:
        return
    if study.info()["status"]["done"] == 0:
        st.warning("This study has no finished run yet: nothing to analyse.")
        return
    try:
        table, outcome, how = choose_outcome(study)
        indices_section(study, table, outcome, how)
        points = design_analysis.points(study, outcome, table, how)
        params = scatter_section(points, outcome)
        scenario_section(study, points, table, outcome, how, params)
    except StudyError as err:
        st.error(str(err))


if __name__ == "__main__":
    render()
