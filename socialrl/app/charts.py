"""Plotly figures for the Explore page and the model views (pure: frames in, figures out).

Plotly draws interactive charts in the browser (hover, zoom, pan, PNG export) from a JSON
description, so every figure here is small by construction: curves arrive downsampled
(:mod:`socialrl.app.stats`), distributions of many rows arrive as histograms. Figures set no
template: Streamlit styles them with its own theme (and naming a template costs ~70 ms per
figure, a deep copy of it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from socialrl.app.labels import column_label, value_label
from socialrl.app.stats import Curves

__all__ = [
    "COLOURS",
    "band_trace",
    "curves_figure",
    "distribution_figure",
    "empty_figure",
    "heatmap_figure",
    "histogram_figure",
    "rgba",
]

#: A qualitative palette that stays readable on white (Plotly's default, in order).
COLOURS = (
    "#636EFA",
    "#EF553B",
    "#00CC96",
    "#AB63FA",
    "#FFA15A",
    "#19D3F3",
    "#FF6692",
    "#B6E880",
    "#FF97FF",
    "#FECB52",
)
MAX_FACETS = 12


def rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r, g, b, alpha)`` (for translucent confidence bands)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def band_trace(x: Any, low: Any, high: Any, colour: str, **extra: Any) -> go.Scatter:
    """A shaded band between ``low`` and ``high`` along ``x`` (a confidence interval)."""
    return go.Scatter(
        x=np.concatenate([x, x[::-1]]),
        y=np.concatenate([high, low[::-1]]),
        fill="toself",
        fillcolor=rgba(colour, 0.18),
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
        **extra,
    )


def _ordered(values: Sequence[Any] | pd.Series) -> list[Any]:
    """Distinct values, numbers in numeric order, text in text order."""
    distinct = list(pd.unique(pd.Series(values).dropna()))
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=str)


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(xaxis_visible=False, yaxis_visible=False, height=200)
    return fig


#: Characters of a facet title per line: three facets a row fit about this many each.
FACET_TITLE_WIDTH = 34


def facet_title(facet: str, value: Any) -> str:
    """``epsilon = linear(start=1, …)`` broken at commas into lines that fit above one facet."""
    parts = f"{column_label(facet)} = {value_label(value)}".split(", ")
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 2 + len(part) > FACET_TITLE_WIDTH:
            lines[-1] += ","
            lines.append(part)
        else:
            lines[-1] += f", {part}"
    return "<br>".join(lines[:3]) + ("…" if len(lines) > 3 else "")


def _facet_grid(facets: list[Any], facet: str | None) -> tuple[go.Figure, int, int]:
    """Subplots for the facets, up to three a row: ``(figure, rows, columns)``.

    Titles are wrapped to the facet's width (:func:`facet_title`) and rows are spaced for
    the lines they take, so neighbouring titles never overlap.
    """
    titles = [facet_title(facet, v) for v in facets] if facet else None
    lines = max((t.count("<br>") + 1 for t in titles), default=1) if titles else 1
    n_cols = min(len(facets), 3 if lines == 1 else 2)
    n_rows = int(np.ceil(len(facets) / n_cols))
    fig = make_subplots(
        rows=n_rows,
        cols=n_cols,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=titles,
        horizontal_spacing=0.06,
        vertical_spacing=(0.1 + 0.05 * lines) / max(n_rows - 1, 1) if n_rows > 1 else 0.02,
    )
    fig.update_annotations(font_size=12)
    return fig, n_rows, n_cols


def _curve_traces(
    group: pd.DataFrame, name: str, colour: str, hover: str, legend: bool
) -> list[go.Scatter]:
    """A curve's band (where it has one) and its mean line, sharing one legend entry."""
    traces = []
    band = group.dropna(subset=["low", "high"])
    if not band.empty:
        traces.append(
            band_trace(
                band["x"],
                band["low"],
                band["high"],
                colour,
                legendgroup=name,
                name=f"{name} 95% CI",
            )
        )
    traces.append(
        go.Scatter(
            x=group["x"],
            y=group["mean"],
            mode="lines",
            line={"color": colour, "width": 2},
            name=name,
            legendgroup=name,
            showlegend=legend,
            customdata=np.stack([group["low"], group["high"], group["n"]], axis=1),
            hovertemplate=hover,
        )
    )
    return traces


def curves_figure(
    curves: Curves,
    colour: str | None,
    facet: str | None,
    colour_order: Sequence[Any] | None = None,
) -> go.Figure:
    """Mean curves with translucent 95% bands, coloured by one parameter, faceted by another.

    ``colour_order`` fixes which value gets which colour (default: sorted values), so that
    one thing keeps one colour across the charts of a page.
    """
    frame = curves.frame
    facets = _ordered(frame[facet])[:MAX_FACETS] if facet else [None]
    colours = list(colour_order) if colour_order is not None else None
    if colours is None:
        colours = _ordered(frame[colour]) if colour else [None]
    fig, n_rows, n_cols = _facet_grid(facets, facet)
    hover = (
        f"{curves.x}=%{{x:.6g}}<br>{curves.y}: mean %{{y:.4g}}"
        "<br>95% CI [%{customdata[0]:.4g}, %{customdata[1]:.4g}]<br>n %{customdata[2]}"
        "<extra>%{fullData.name}</extra>"
    )
    for k, facet_value in enumerate(facets):
        row, col = k // n_cols + 1, k % n_cols + 1
        part = frame if facet is None else frame[frame[facet] == facet_value]
        for j, colour_value in enumerate(colours):
            group = part if colour is None else part[part[colour] == colour_value]
            if group.empty:
                continue
            name = value_label(colour_value) if colour else curves.y
            for trace in _curve_traces(group, name, COLOURS[j % len(COLOURS)], hover, k == 0):
                fig.add_trace(trace, row=row, col=col)
    fig.update_layout(
        height=320 * n_rows + 60,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend_title_text=column_label(colour) if colour else None,
        hovermode="closest",
    )
    fig.update_xaxes(title_text=curves.x, row=n_rows)
    fig.update_yaxes(title_text=f"{curves.y} (mean, 95% CI)", col=1)
    return fig


def distribution_figure(runs: pd.DataFrame, y: str, colour: str | None, title: str) -> go.Figure:
    """One value per run as box plots with every run drawn as a point (hover: run and seed)."""
    fig = go.Figure()
    groups = _ordered(runs[colour]) if colour else [None]
    for j, value in enumerate(groups):
        part = runs if colour is None else runs[runs[colour] == value]
        seeds = part["seed"].astype(str) if "seed" in part.columns else part["run_id"]
        fig.add_trace(
            go.Box(
                y=part[y],
                name=value_label(value) if colour else y,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"color": COLOURS[j % len(COLOURS)], "size": 5, "opacity": 0.7},
                customdata=np.stack([part["run_id"].astype(str), seeds], axis=1),
                hovertemplate=(
                    f"{y}=%{{y:.4g}}<br>run %{{customdata[0]}}<br>seed %{{customdata[1]}}"
                    "<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        title=title,
        height=380,
        showlegend=False,
        xaxis_title=column_label(colour) if colour else None,
        yaxis_title=y,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return fig


def histogram_figure(
    hist: pd.DataFrame, x: str, title: str, lines: Mapping[str, float] | None = None
) -> go.Figure:
    """Pre-binned counts as bars, with labelled vertical reference lines (e.g. benchmarks)."""
    fig = go.Figure(
        go.Bar(
            x=hist["center"],
            y=hist["count"],
            width=(hist["right"] - hist["left"]).to_numpy(),
            marker={"color": COLOURS[0]},
            customdata=np.stack([hist["left"], hist["right"]], axis=1) if len(hist) else None,
            hovertemplate="[%{customdata[0]:.4g}, %{customdata[1]:.4g}): %{y}<extra></extra>",
        )
    )
    for k, (label, value) in enumerate((lines or {}).items()):
        fig.add_vline(
            x=value,
            line={"color": COLOURS[(k + 1) % len(COLOURS)], "dash": "dash"},
            annotation_text=label,
            annotation_position="top",
        )
    fig.update_layout(
        title=title,
        height=360,
        bargap=0.02,
        xaxis_title=x,
        yaxis_title="count",
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    return fig


def heatmap_figure(
    means: pd.DataFrame,
    counts: pd.DataFrame,
    y: str,
    rows: str,
    cols: str,
    unit: str = "runs",
) -> go.Figure:
    """A parameter × parameter map of a per-unit metric's mean (e.g. α × β → Δ over markets).

    ``counts`` are the units behind each cell, named ``unit`` in the hover text.
    """
    x_labels = [value_label(v) for v in means.columns]
    y_labels = [value_label(v) for v in means.index]
    fig = go.Figure(
        go.Heatmap(
            z=means.to_numpy(dtype=np.float64),
            x=x_labels,
            y=y_labels,
            customdata=counts.reindex_like(means).to_numpy(dtype=np.float64),
            colorscale="Viridis",
            colorbar={"title": {"text": y}},
            texttemplate="%{z:.3g}",
            hovertemplate=(
                f"{column_label(cols)}=%{{x}}<br>{column_label(rows)}=%{{y}}<br>"
                f"{y}: mean %{{z:.4g}} over %{{customdata}} {unit}<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        height=max(320, 40 * len(y_labels) + 140),
        xaxis_title=column_label(cols),
        yaxis_title=column_label(rows),
        xaxis_type="category",
        yaxis_type="category",
        margin={"l": 80, "r": 20, "t": 30, "b": 60},
    )
    return fig
