"""Plotly figures of a design's analysis: sensitivity indices, outcome scatters, PRIM boxes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from socialrl.app.charts import COLOURS
from socialrl.app.labels import column_label

__all__ = ["box_figure", "indices_figure", "scatter_figure", "tradeoff_figure"]

#: The indices each method reports, drawn as bars with their bootstrap intervals.
BARS = {
    "sobol": ("S1", "ST"),
    "morris": ("mu_star",),
    "delta": ("delta", "S1"),
}


def indices_figure(table: pd.DataFrame, method: str) -> go.Figure:
    """One group of bars per parameter: the method's indices, 95% bootstrap interval whiskers."""
    fig = go.Figure()
    names = [column_label(p) for p in table["parameter"]]
    for k, index in enumerate(BARS[method]):
        conf = table.get(f"{index}_conf")
        fig.add_trace(
            go.Bar(
                x=names,
                y=table[index],
                name=index,
                marker_color=COLOURS[k % len(COLOURS)],
                error_y=None if conf is None else {"type": "data", "array": conf, "visible": True},
            )
        )
    fig.update_layout(
        barmode="group",
        height=360,
        yaxis_title="index",
        margin={"l": 60, "r": 20, "t": 30, "b": 80},
    )
    return fig


def scatter_figure(points: pd.DataFrame, outcome: str, params: list[str]) -> go.Figure:
    """The outcome against each varied parameter, one marker per design point."""
    cols = min(3, len(params))
    rows = math.ceil(len(params) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes=True,
        subplot_titles=[column_label(p) for p in params],
        horizontal_spacing=0.06,
        vertical_spacing=0.18 if rows > 1 else 0.1,
    )
    for k, param in enumerate(params):
        fig.add_trace(
            go.Scatter(
                x=points[param],
                y=points[outcome],
                mode="markers",
                marker={"size": 6, "color": COLOURS[0], "opacity": 0.7},
                showlegend=False,
                hovertemplate=f"{column_label(param)}=%{{x}}<br>{outcome}=%{{y:.4g}}<extra></extra>",
            ),
            row=k // cols + 1,
            col=k % cols + 1,
        )
    fig.update_yaxes(title_text=outcome, col=1)
    fig.update_layout(height=300 * rows + 40, margin={"l": 60, "r": 20, "t": 40, "b": 40})
    return fig


def tradeoff_figure(trajectory: pd.DataFrame, chosen: pd.DataFrame) -> go.Figure:
    """PRIM's peeling path: coverage against density, each box's chosen step marked."""
    fig = go.Figure()
    for k, (box, path) in enumerate(trajectory.groupby("box")):
        colour = COLOURS[k % len(COLOURS)]
        fig.add_trace(
            go.Scatter(
                x=path["coverage"],
                y=path["density"],
                mode="lines+markers",
                name=f"box {box}: peeling path",
                marker={"size": 5, "color": path["restricted"], "colorscale": "Viridis"},
                line={"color": colour},
                customdata=np.stack([path["step"], path["restricted"], path["mass"]], axis=1),
                hovertemplate=(
                    "step %{customdata[0]}: coverage %{x:.2f}, density %{y:.2f}, mass "
                    "%{customdata[2]:.2f}, %{customdata[1]} parameters limited<extra></extra>"
                ),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=chosen["coverage"],
            y=chosen["density"],
            mode="markers",
            name="chosen box",
            marker={"size": 14, "symbol": "star", "color": "#d62728"},
        )
    )
    fig.update_layout(
        height=340,
        xaxis_title="coverage (share of all cases in the box)",
        yaxis_title="density (share of the box that are cases)",
        xaxis_range=[0, 1.02],
        yaxis_range=[0, 1.02],
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
    )
    return fig


def box_figure(points: pd.DataFrame, x: str, y: str, limits: pd.DataFrame, rule: str) -> go.Figure:
    """Design points over two parameters, cases marked, each PRIM box drawn as a rectangle."""
    fig = go.Figure()
    for case, name, colour in ((False, "other points", "#9aa5b1"), (True, rule, COLOURS[1])):
        part = points[points["case"] == case]
        fig.add_trace(
            go.Scatter(
                x=part[x], y=part[y], mode="markers", name=name,
                marker={"size": 7, "color": colour, "opacity": 0.8},
            )
        )  # fmt: skip
    for box, lims in limits.groupby("box"):
        by = lims.set_index("parameter")
        if not {x, y} <= set(by.index) or by.loc[[x, y], "low"].isna().any():
            continue
        fig.add_shape(
            type="rect",
            x0=by.at[x, "low"], x1=by.at[x, "high"], y0=by.at[y, "low"], y1=by.at[y, "high"],
            line={"color": "#d62728", "width": 2}, fillcolor="rgba(214,39,40,0.06)",
        )  # fmt: skip
        fig.add_annotation(
            x=by.at[x, "high"], y=by.at[y, "high"], text=f"box {box}", showarrow=False,
            xanchor="right", yanchor="bottom", font={"color": "#d62728"},
        )  # fmt: skip
    fig.update_layout(
        height=420,
        xaxis_title=column_label(x),
        yaxis_title=column_label(y),
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
    )
    return fig
