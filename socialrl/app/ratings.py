"""Ratings over training for the Ratings page: curves per player, and their figure (pure).

A league's ``ratings`` table (:mod:`socialrl.run.league`) has one row per player and rating
step: the learner as it was at that step (player ``learner``), the fixed anchors, and the
learner's earlier copies (``learner@<step>``, kind ``past``). One run's curve is its players'
ratings as they stood (``μ ± σ``: openskill's own uncertainty); several runs' curve is the
mean over runs (the unit of analysis: each run rates its own learner) with its 95% interval
and the n of runs behind each point.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from socialrl.app.charts import COLOURS, band_trace
from socialrl.statistics import across_runs

__all__ = ["VALUES", "rating_curves", "rating_figure"]

#: What a curve can show: the column, its label, and what its band is for one run.
VALUES = {
    "ordinal": ("ordinal (μ − 3σ)", None),
    "mu": ("μ", "± σ"),
}


def rating_curves(frame: pd.DataFrame, value: str, players: Sequence[str]) -> pd.DataFrame:
    """``player, kind, step, y, low, high, n, games``: one row per player and rating step.

    Args:
        frame: The ratings table's rows (of one rated group; one run or several).
        value: ``"ordinal"`` or ``"mu"``.
        players: The players to draw, in the order of the legend.

    With one run ``y`` is the player's rating and ``low``/``high`` are ``μ ∓ σ`` for ``μ``;
    with several, ``y`` is the mean over runs, ``low``/``high`` its 95% interval and ``n`` the
    runs behind it. ``games`` is the player's games by then (the learner: at that step),
    the mean over runs.

    """
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, got {value!r}")
    rows = frame[frame["player"].isin(list(players))]
    columns = ["player", "kind", "step", "y", "low", "high", "n", "games"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    keys = ["player", "kind", "step"]
    if rows["run_id"].nunique() == 1:
        out = rows[keys].copy()
        out["y"] = rows[value].to_numpy(dtype=float)
        spread = rows["sigma"].to_numpy(dtype=float) if value == "mu" else np.nan
        out["low"], out["high"] = out["y"] - spread, out["y"] + spread
        out["n"] = 1
        out["games"] = rows["games"].to_numpy(dtype=float)
    else:
        stats = across_runs(rows, value, keys)
        games = rows.groupby(keys, observed=True)["games"].mean().reset_index()
        out = stats.merge(games, on=keys).rename(
            columns={"mean": "y", "ci95_low": "low", "ci95_high": "high"}
        )
    out["order"] = out["player"].map({p: k for k, p in enumerate(players)})
    return out.sort_values(["order", "step"])[columns].reset_index(drop=True)


def rating_figure(curves: pd.DataFrame, value: str, band: str | None) -> go.Figure:
    """One line per player over the rating steps, with its band where there is one.

    Hovering a point shows the rating, the band, the runs behind it and the games played.
    """
    label = VALUES[value][0]
    fig = go.Figure()
    for k, (player, part) in enumerate(curves.groupby("player", sort=False, observed=True)):
        colour = COLOURS[k % len(COLOURS)]
        name = str(player)
        shaded = part.dropna(subset=["low", "high"])
        if band is not None and not shaded.empty:
            x = shaded["step"].to_numpy()
            low, high = shaded["low"].to_numpy(), shaded["high"].to_numpy()
            band_line = band_trace(x, low, high, colour, legendgroup=name, name=f"{name} {band}")
            fig.add_trace(band_line)
        fig.add_trace(
            go.Scatter(
                x=part["step"],
                y=part["y"],
                mode="lines+markers",
                line={"color": colour, "width": 3 if part["kind"].iloc[0] == "learner" else 2},
                marker={"size": 5},
                name=name,
                legendgroup=name,
                customdata=np.stack(
                    [part["low"], part["high"], part["n"], part["games"]], axis=1
                ).astype(float),
                hovertemplate=(
                    f"step %{{x}}<br>{label} %{{y:.3g}}"
                    + (
                        f"<br>{band} [%{{customdata[0]:.3g}}, %{{customdata[1]:.3g}}]"
                        if band
                        else ""
                    )
                    + "<br>n %{customdata[2]:.0f} runs<br>games %{customdata[3]:.0f}"
                    + "<extra>%{fullData.name}</extra>"
                ),
            )
        )
    fig.update_layout(
        height=440,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        legend_title_text="player",
        hovermode="closest",
    )
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text=label + (f" {band}" if band else ""))
    return fig
