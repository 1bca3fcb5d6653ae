"""The α × β map of Calvano et al. (2020, Figure 1): Δ, periods to converge, share converged.

Any two swept parameters of a pricing study can be the map's axes (α and β are offered first).
Each cell is a statistic over the cell's markets — the unit of analysis: each market is an
independent session — with n, the markets behind it, in its hover text:

* **Δ** — the mean profit gain on the greedy cycle the market ends in (0 Nash, 1 monopoly);
* **periods to converge** — the mean ``converged_at`` of the markets that converged (it
  includes the final stability window, 100,000 periods in the paper);
* **share converged** — the share of markets whose greedy prices stopped changing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from socialrl.app import charts, stats
from socialrl.app.data import Study
from socialrl.app.labels import column_label, value_label
from socialrl.app.views.common import table_or_message
from socialrl.statistics import per_run_values

__all__ = ["PUBLISHED", "map_section"]

#: The published figure, in words, for the reader to hold the lab's map against.
PUBLISHED = (
    "**The published map** (Calvano et al. 2020, Figure 1: a 100 × 100 grid of α ∈ [0.025, "
    "0.25] and β ∈ (0, 2 × 10⁻⁵], 1,000 sessions per cell): the profit gain is substantial "
    "over the whole grid, not only at the baseline — the paper's point that collusion is not "
    "an artefact of one parameter choice. The baseline cell (α = 0.15, β = 4 × 10⁻⁶) has "
    "Δ ≈ 0.85 with every session converged after about 1.75 million periods on average. "
    "Convergence takes longer the smaller β (ε = exp(−βt) decays more slowly: about 7/β "
    "periods here), which is why the smallest β values dominate the cost of a map."
)
#: The map's metrics: label → (markets column, how a market's rows become its value).
METRICS = {
    "Δ (profit gain)": "delta",
    "periods to converge": "periods",
    "share converged": "converged",
}


def _axes(swept: list[str]) -> tuple[str, str]:
    """Rows and columns of the map: α and β when swept, else the first two parameters."""
    alpha = [s for s in swept if s.endswith(".alpha")]
    beta = [s for s in swept if s.endswith(".beta") or s.endswith(".epsilon")]
    rows = alpha[0] if alpha else swept[0]
    cols = beta[0] if beta and beta[0] != rows else next(s for s in swept if s != rows)
    return rows, cols


def map_section(study: Study) -> None:
    """Heatmaps of Δ, periods to converge and share converged over two swept parameters."""
    st.subheader("The α × β map (Calvano et al. 2020, Figure 1)")
    swept = study.info()["swept"]
    if len(swept) < 2:
        st.info("A map needs two swept parameters (e.g. studies/calvano2020_fig1.toml: α × β).")
        return
    markets = table_or_message(study, "markets", "pricing runs write per-market outcomes.")
    if markets is None or not {"delta", "converged", "converged_at"} <= set(markets.columns):
        return
    rows_default, cols_default = _axes(swept)
    a, b, c = st.columns(3)
    with a:
        label = str(st.radio("Cell value", list(METRICS), horizontal=True, key="pricing_map"))
    with b:
        rows = str(st.selectbox("Rows", swept, index=swept.index(rows_default),
                                format_func=column_label, key="pricing_map_rows"))  # fmt: skip
    with c:
        others = [s for s in swept if s != rows]
        index = others.index(cols_default) if cols_default in others else 0
        cols = str(st.selectbox("Columns", others, index=index, format_func=column_label,
                                key="pricing_map_cols"))  # fmt: skip
    value = METRICS[label]
    frame = markets.assign(periods=markets["converged_at"].where(markets["converged"].astype(bool)))
    frame = frame.assign(converged=frame["converged"].astype(float))
    per_market = per_run_values(frame, value, [rows, cols], "mean", unit="market")
    means, counts = stats.grid_means(per_market, value, rows, cols)
    figure = charts.heatmap_figure(means, counts, value, rows, cols, unit="markets")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(figure, key="pricing_map_figure")
    with right:
        st.markdown(PUBLISHED)
        st.caption(_corners(means, value, counts))


def _corners(means: pd.DataFrame, value: str, counts: pd.DataFrame) -> str:
    """The map's corners and centre in words (what a reader compares with the paper)."""
    if means.empty:
        return ""
    r, c = [value_label(v) for v in means.index], [value_label(v) for v in means.columns]
    mid_r, mid_c = len(r) // 2, len(c) // 2
    z = means.to_numpy(np.float64)
    spots = {
        f"{r[0]}, {c[0]}": z[0, 0],
        f"{r[0]}, {c[-1]}": z[0, -1],
        f"{r[-1]}, {c[0]}": z[-1, 0],
        f"{r[-1]}, {c[-1]}": z[-1, -1],
        f"{r[mid_r]}, {c[mid_c]} (centre)": z[mid_r, mid_c],
    }
    shown = "; ".join(f"({k}) {v:.3g}" for k, v in spots.items())
    total = int(counts.to_numpy().sum())
    return f"{value} at the corners and centre (rows, columns): {shown}. {total:,} markets in all."
