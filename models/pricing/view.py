"""The pricing view (Calvano et al. 2020): price paths, the profit gain Δ, impulse responses.

Reads what a pricing study writes:

* ``steps`` — ``price_mean``, ``delta_mean``, ``converged_share`` over time (every run);
* ``agents`` — per-firm snapshots with ``market``, ``firm``, ``price`` (price paths per market);
* ``markets`` (extra) — per market and firm: ``delta``, ``price_mean``, ``cycle_length``,
  ``converged``, ``converged_at`` and the benchmarks ``p_nash``, ``p_monopoly`` when present;
* ``impulse`` (extra) — Calvano's deviation experiment: ``market``, ``firm`` (0 deviates, 1 is
  the rival), ``tau``, ``price``.

Δ is normalised so that 0 is the one-shot Nash profit and 1 the monopoly profit; those are the
benchmark lines. Each section says which table it misses when a study has not written it.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from socialrl_models.pricing.map_view import map_section

from socialrl.app import charts, derived, stats
from socialrl.app.data import Study
from socialrl.app.labels import column_label
from socialrl.app.views.common import pick_run, table_or_message
from socialrl.statistics import ci_half_width

TITLE = "Pricing: price paths, profit gain Δ, impulse response"
FIRMS = {0: "deviating firm", 1: "rival"}


def paths_section(study: Study) -> None:
    """Mean price and Δ over time across runs; price paths of chosen markets in one run."""
    st.subheader("Prices over time")
    info = study.info()
    if not study.has_table("steps"):
        st.info("This study has no `steps` table.")
        return
    steps = study.table("steps").frame
    colour = info["swept"][0] if info["swept"] else None
    metrics = [m for m in ("price_mean", "delta_mean", "converged_share") if m in steps.columns]
    if not metrics:
        st.info("The `steps` table has no price_mean, delta_mean or converged_share column.")
    else:
        metric = st.radio("Metric", metrics, horizontal=True, key="pricing_metric")
        curves = derived.curves(study, "steps", "step", metric, [colour] if colour else [])
        st.plotly_chart(charts.curves_figure(curves, colour, None), key="pricing_curves")
        st.caption(f"Mean across runs with 95% bands; {curves.runs} runs.")
    agents = study.table("agents").frame if study.has_table("agents") else pd.DataFrame()
    if not {"market", "firm", "price", "step"} <= set(agents.columns):
        st.info("The `agents` table has no per-market prices (market, firm, price): no paths.")
        return
    st.markdown("**Price paths per market** (one run)")
    run = pick_run(study, "pricing_paths", among=agents["run_id"].astype(str).unique())
    if run is None:
        return
    mine = agents[agents["run_id"].astype(str) == run["run_id"]]
    markets = sorted(mine["market"].unique())
    chosen = st.multiselect(
        "Markets", markets, default=markets[:3], max_selections=8, key="pricing_markets"
    )
    fig = go.Figure()
    for k, market in enumerate(chosen):
        for firm, part in mine[mine["market"] == market].groupby("firm"):
            fig.add_trace(
                go.Scatter(
                    x=part["step"],
                    y=part["price"],
                    mode="lines",
                    name=f"market {market}, firm {firm}",
                    line={
                        "color": charts.COLOURS[k % len(charts.COLOURS)],
                        "dash": "solid" if firm == 0 else "dot",
                    },
                )
            )
    _benchmarks(fig, study, horizontal=True)
    fig.update_layout(height=380, xaxis_title="step", yaxis_title="price")
    st.plotly_chart(fig, key="pricing_paths")


def _benchmarks(fig: go.Figure, study: Study, horizontal: bool) -> None:
    """Nash and monopoly prices as dashed lines, when the markets table records them."""
    if not study.has_table("markets"):
        return
    markets = study.table("markets").frame
    for column, label in (("p_nash", "Nash"), ("p_monopoly", "monopoly")):
        if column in markets.columns and markets[column].notna().any():
            value = float(markets[column].mean())
            if horizontal:
                fig.add_hline(
                    y=value, line={"dash": "dash", "color": "#555"}, annotation_text=label
                )
            else:
                fig.add_vline(
                    x=value, line={"dash": "dash", "color": "#555"}, annotation_text=label
                )


def delta_section(study: Study) -> None:
    """Distribution of Δ over markets (and runs) against the Nash (0) and monopoly (1) marks."""
    st.subheader("Profit gain Δ at the end: Nash = 0, monopoly = 1")
    markets = table_or_message(
        study,
        "markets",
        "pricing runs write per-market outcomes (Δ, prices, cycles, convergence) at the end.",
    )
    if markets is None:
        return
    if "delta" not in markets.columns:
        st.info("The `markets` table has no `delta` column.")
        return
    per_market = markets.groupby(["run_id", "market"], observed=True)["delta"].mean()
    hist = stats.histogram(per_market.to_numpy())
    fig = charts.histogram_figure(
        hist, "Δ (profit gain)", "Δ per market", lines={"Nash": 0.0, "monopoly": 1.0}
    )
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(fig, key="pricing_delta")
    with right:
        st.metric("markets", f"{len(per_market):,}")
        st.metric("mean Δ", f"{per_market.mean():.3f}")
        if "converged" in markets.columns:
            st.metric("converged", f"{markets['converged'].mean():.1%}")
        if "cycle_length" in markets.columns:
            st.metric("mean cycle length", f"{markets['cycle_length'].mean():.2f}")
    if "price_mean" in markets.columns:
        hist = stats.histogram(markets["price_mean"].to_numpy())
        fig = charts.histogram_figure(hist, "price", "Mean price on the final cycle, per firm")
        _benchmarks(fig, study, horizontal=False)
        st.plotly_chart(fig, key="pricing_prices")


def impulse_section(study: Study) -> None:
    """Calvano's impulse response: the deviator's and the rival's prices around a deviation."""
    st.subheader("Impulse response to a one-period deviation")
    impulse = table_or_message(
        study,
        "impulse",
        "pricing runs write the deviation experiment (market, firm, tau, price) at the end.",
    )
    if impulse is None:
        return
    if not {"tau", "firm", "price"} <= set(impulse.columns):
        st.info("The `impulse` table needs columns tau, firm and price.")
        return
    frame = impulse.assign(
        market_run=impulse["run_id"].astype(str) + "/" + impulse["market"].astype(str)
    )
    grouped = frame.groupby(["firm", "tau"])["price"].agg(["mean", "std", "count"]).reset_index()
    half = ci_half_width(grouped["std"], grouped["count"])
    fig = go.Figure()
    for k, (firm, part) in enumerate(grouped.groupby("firm")):
        colour = charts.COLOURS[k % len(charts.COLOURS)]
        low = part["mean"] - half[part.index]
        high = part["mean"] + half[part.index]
        fig.add_trace(charts.band_trace(part["tau"], low, high, colour))
        fig.add_trace(
            go.Scatter(
                x=part["tau"],
                y=part["mean"],
                mode="lines+markers",
                name=FIRMS.get(int(str(firm)), f"firm {firm}"),
                line={"color": colour},
            )
        )
    _benchmarks(fig, study, horizontal=True)
    fig.update_layout(
        height=380,
        xaxis_title="periods after the deviation (τ; 1 = the deviation)",
        yaxis_title="price (mean over markets, 95% CI)",
    )
    st.plotly_chart(fig, key="pricing_impulse")
    st.caption(f"{frame['market_run'].nunique():,} markets over {frame['run_id'].nunique()} runs.")


def render(study: Study) -> None:
    """The pricing view."""
    info = study.info()
    if info["swept"]:
        st.caption("Swept: " + ", ".join(column_label(s) for s in info["swept"]))
    paths_section(study)
    delta_section(study)
    map_section(study)
    impulse_section(study)
