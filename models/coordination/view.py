"""The coordination view: who plays what, where, and how conventions spread over time.

Reads what a coordination study writes:

* ``agents`` — per-player snapshots: ``step``, ``agent``, ``action`` (and ``greedy_action``),
  and on grids ``row``, ``col``;
* ``steps`` — ``share_<action>`` columns (the population's action shares), which also give the
  actions' names in order;
* ``network`` (an extra table, if the model writes one) — edges ``source``, ``target`` between
  players, for a network drawn with a seeded spring layout.

On a grid the players' actions are an animation over the snapshots (play button and slider in
the chart); on a network a slider picks the snapshot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from socialrl.app import charts, stats
from socialrl.app.data import Study
from socialrl.app.views.common import pick_run, table_or_message

TITLE = "Coordination: actions in space and time"
MAX_FRAMES = 60


def action_names(study: Study) -> list[str]:
    """The game's action names, from the ``share_<action>`` columns of ``steps``."""
    if not study.has_table("steps"):
        return []
    steps = study.table("steps").frame
    return [c.removeprefix("share_") for c in steps.columns if c.startswith("share_")]


def _colourscale(n: int) -> list[list[float | str]]:
    """A discrete colour scale for action indices 0 … n−1."""
    scale: list[list[float | str]] = []
    for k in range(n):
        colour = charts.COLOURS[k % len(charts.COLOURS)]
        scale += [[k / n, colour], [(k + 1) / n, colour]]
    return scale


def grid_animation(snapshots: pd.DataFrame, column: str, names: list[str]) -> go.Figure:
    """The grid coloured by action, one animation frame per snapshot step."""
    rows = int(snapshots["row"].max()) + 1
    cols = int(snapshots["col"].max()) + 1
    n = max(len(names), int(snapshots[column].max()) + 1)
    labels = names + [str(k) for k in range(len(names), n)]
    steps = sorted(snapshots["step"].unique())
    if len(steps) > MAX_FRAMES:
        steps = [steps[int(i)] for i in np.linspace(0, len(steps) - 1, MAX_FRAMES)]

    def heatmap(step: int) -> go.Heatmap:
        part = snapshots[snapshots["step"] == step]
        z = np.full((rows, cols), np.nan)
        z[part["row"].to_numpy(int), part["col"].to_numpy(int)] = part[column]
        return go.Heatmap(
            z=z,
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=_colourscale(n),
            colorbar={"tickvals": list(range(n)), "ticktext": labels, "title": {"text": column}},
            hovertemplate="row %{y}, col %{x}: %{z}<extra></extra>",
        )

    fig = go.Figure(
        data=[heatmap(steps[-1])],
        frames=[go.Frame(data=[heatmap(s)], name=str(s)) for s in steps],
    )
    fig.update_layout(
        height=560,
        yaxis={"autorange": "reversed", "scaleanchor": "x", "visible": False},
        xaxis={"visible": False},
        **_play_controls(steps),
    )
    return fig


def _play_controls(steps: list[Any]) -> dict[str, Any]:
    """A play button and a step slider, both driving the animation's frames (named by step).

    The slider starts on the last step, the frame the figure first shows.
    """
    return {
        "updatemenus": [
            {
                "type": "buttons",
                "x": 0,
                "y": -0.05,
                "buttons": [
                    {
                        "label": "▶ play",
                        "method": "animate",
                        "args": [None, {"frame": {"duration": 400}, "fromcurrent": True}],
                    }
                ],
            }
        ],
        "sliders": [
            {
                "active": len(steps) - 1,
                "currentvalue": {"prefix": "step "},
                "steps": [
                    {
                        "label": str(s),
                        "method": "animate",
                        "args": [[str(s)], {"mode": "immediate"}],
                    }
                    for s in steps
                ],
            }
        ],
    }


def network_figure(
    snapshot: pd.DataFrame, edges: pd.DataFrame, column: str, names: list[str]
) -> go.Figure:
    """The network with players coloured by action (positions: seeded spring layout)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(snapshot["agent"].astype(int))
    graph.add_edges_from(edges[["source", "target"]].astype(int).itertuples(index=False))
    pos = nx.spring_layout(graph, seed=0)
    ex, ey = [], []
    for a, b in graph.edges():
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    fig = go.Figure(
        go.Scatter(x=ex, y=ey, mode="lines", line={"color": "#bbb", "width": 1}, hoverinfo="skip")
    )
    for k, (action, part) in enumerate(snapshot.groupby(column)):
        index = int(str(action))
        label = names[index] if index < len(names) else str(action)
        fig.add_trace(
            go.Scatter(
                x=[pos[int(a)][0] for a in part["agent"]],
                y=[pos[int(a)][1] for a in part["agent"]],
                mode="markers",
                marker={"size": 9, "color": charts.COLOURS[k % len(charts.COLOURS)]},
                name=label,
            )
        )
    fig.update_layout(
        height=520,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
    )
    return fig


def space_section(study: Study, names: list[str]) -> None:
    """Players coloured by action at chosen steps, on the grid or the network."""
    st.subheader("Actions in space")
    agents = table_or_message(
        study, "agents", "record snapshots (run.snapshot_every) to see who plays what."
    )
    if agents is None:
        return
    column = "action" if "action" in agents.columns else None
    if "greedy_action" in agents.columns:
        options = [c for c in ("action", "greedy_action") if c in agents.columns]
        column = st.radio("Colour by", options, horizontal=True, key="coord_column")
    if column is None:
        st.info("The `agents` table has no action column.")
        return
    run = pick_run(study, "coord", among=agents["run_id"].astype(str).unique())
    if run is None:
        return
    mine = agents[agents["run_id"].astype(str) == run["run_id"]]
    if {"row", "col"} <= set(mine.columns) and mine["row"].notna().all():
        st.plotly_chart(grid_animation(mine, column, names), key="coord_grid")
        st.caption("Press play, or drag the slider, to step through the snapshots.")
        return
    if not study.has_table("network"):
        st.info(
            "These players live on a network or are well mixed, and the study has no "
            "`network` table (edges source, target) to draw it: see the action shares below."
        )
        return
    edges = study.table("network").frame
    edges = edges[edges["run_id"].astype(str) == run["run_id"]]
    steps = sorted(mine["step"].unique())
    step = st.select_slider("Step", steps, value=steps[-1], key="coord_step")
    snapshot = mine[mine["step"] == step]
    st.plotly_chart(network_figure(snapshot, edges, column, names), key="coord_network")


def shares_section(study: Study, names: list[str]) -> None:
    """Action shares over time: mean across runs with 95% bands, one colour per action."""
    st.subheader("Action shares over time")
    if not names:
        st.info("The `steps` table has no share_<action> columns.")
        return
    frames = []
    for name in names:
        curves = stats.learning_curves(study.table("steps").frame, "step", f"share_{name}", [])
        frames.append(curves.frame.assign(action=name))
    combined = stats.Curves(
        frame=pd.concat(frames, ignore_index=True),
        x="step",
        y="share",
        by=["action"],
        rows=curves.rows,
        runs=curves.runs,
        points=curves.points,
        bin_width=curves.bin_width,
    )
    figure = charts.curves_figure(combined, "action", None, colour_order=names)
    st.plotly_chart(figure, key="coord_shares")
    st.caption(f"Mean share across {curves.runs} runs with 95% bands.")


def render(study: Study) -> None:
    """The coordination view."""
    names = action_names(study)
    space_section(study, names)
    shares_section(study, names)
