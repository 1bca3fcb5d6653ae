"""Drawing a maze with Plotly: cells coloured by value, walls, marks, a path and arrows.

Pure figure building, apart from the Streamlit page (``view.py``): the maze view draws a learned
policy, the optimal one and Dyna-Q's learned model with these same pieces, and they can be
tested or reused without a running app.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .theory import ACTIONS

__all__ = ["arrow_traces", "maze_figure"]


WALL = "#3b3b3b"
ARROW_OK, ARROW_WRONG, ARROW_OPTIMAL = "#111111", "#d62728", "#111111"
#: Marker angle (degrees clockwise from up) of each move: up, down, left, right.
HEADING = (0, 180, 270, 90)
#: Light colours only, so that dark arrows stay visible on every cell.
VALUE_SCALE = [[0.0, "#fff7e0"], [0.5, "#c7e9b4"], [1.0, "#41b6c4"]]


def maze_figure(
    cells: pd.DataFrame,
    shape: tuple[int, int],
    values: np.ndarray,
    value_range: tuple[float, float],
    arrows: list[tuple[int, int, int, str]],
    title: str,
    hover: list[str],
    path: list[tuple[int, int]] | None = None,
    value_label: str = "V(s)",
    span: tuple[float, float] = (-0.32, 0.22),
) -> go.Figure:
    """A maze: walls dark, open cells coloured by value, arrows, S/G/T marks, a path.

    Args:
        cells: One row per state: ``row, col, cell`` (the layout character).
        shape: ``(rows, cols)`` of the grid.
        values: One value per state (NaN: no colour).
        value_range: Colour scale limits (shared by side-by-side mazes).
        arrows: ``(row, col, action, colour)`` per arrow.
        title: Figure title.
        hover: One hover text per state.
        path: ``(row, col)`` cells of a path to draw, in order.
        value_label: Colour bar title.
        span: Where arrows start and end along their move (see :func:`_arrows`).

    """
    fig = go.Figure()
    fig.add_traces(_cell_traces(cells, shape, values, value_range, hover, value_label))
    fig.add_trace(_marks_trace(cells))
    if path and len(path) > 1:
        fig.add_trace(_path_trace(path))
    for colour in dict.fromkeys(a[3] for a in arrows):
        fig.add_traces(arrow_traces([a for a in arrows if a[3] == colour], colour, span))
    _frame_maze(fig, shape, title)
    return fig


def _cell_traces(
    cells: pd.DataFrame,
    shape: tuple[int, int],
    values: np.ndarray,
    value_range: tuple[float, float],
    hover: list[str],
    value_label: str,
) -> list[go.Heatmap]:
    """Two heatmaps: walls (dark) beneath open cells coloured by value, with their hover.

    Walls are the grid cells that are neither a state nor valued, so they get their own
    single-colour trace and never disturb the value scale.
    """
    grid = np.full(shape, np.nan)
    text = np.full(shape, "", dtype=object)
    r, c = cells["row"].to_numpy(int), cells["col"].to_numpy(int)
    grid[r, c] = values
    text[r, c] = hover
    walls = np.where(np.isnan(grid) & ~_open(cells, shape), 1.0, np.nan)
    return [
        go.Heatmap(
            z=walls,
            colorscale=[[0, WALL], [1, WALL]],
            showscale=False,
            hoverinfo="skip",
            xgap=1,
            ygap=1,
        ),
        go.Heatmap(
            z=grid,
            zmin=value_range[0],
            zmax=value_range[1],
            colorscale=VALUE_SCALE,
            colorbar={"title": {"text": value_label}, "thickness": 12},
            text=text,
            hovertemplate="%{text}<extra></extra>",
            xgap=1,
            ygap=1,
        ),
    ]


def _marks_trace(cells: pd.DataFrame) -> go.Scatter:
    """The start, goal and trap letters, so the maze reads like the lecture's drawing."""
    marks = cells[cells["cell"].isin(["S", "G", "T"])]
    return go.Scatter(
        x=marks["col"],
        y=marks["row"],
        mode="text",
        text=marks["cell"],
        textfont={"size": 18, "color": "#b30000"},
        hoverinfo="skip",
        showlegend=False,
    )


def _path_trace(path: list[tuple[int, int]]) -> go.Scatter:
    """A translucent orange line through the path's cells (arrows stay visible on top)."""
    return go.Scatter(
        x=[p[1] for p in path],
        y=[p[0] for p in path],
        mode="lines",
        line={"color": "rgba(255, 127, 14, 0.55)", "width": 6},
        hoverinfo="skip",
        showlegend=False,
    )


def _frame_maze(fig: go.Figure, shape: tuple[int, int], title: str) -> None:
    """Square cells, row 0 at the top, no axes, and a height that grows with the maze."""
    rows, cols = shape
    size = 46
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        width=None,
        height=max(260, rows * size + 90),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
    )
    fig.update_xaxes(visible=False, range=[-0.5, cols - 0.5], constrain="domain")
    fig.update_yaxes(
        visible=False, range=[rows - 0.5, -0.5], scaleanchor="x", scaleratio=1, constrain="domain"
    )


def arrow_traces(
    arrows: list[tuple[int, int, int, str]], colour: str, span: tuple[float, float] = (-0.32, 0.22)
) -> list[go.Scatter]:
    """Arrows of one colour as two traces: shafts, and heads turned in the move's direction.

    Two traces draw hundreds of arrows at once, where one Plotly annotation per arrow would
    cost seconds to build. ``span``: where the shaft starts and ends along the move, in cells
    from the centre (a policy's arrow crosses its cell; a model's arrows radiate from the
    centre, one per move tried).
    """
    start, end = span
    shaft_x: list[float | None] = []
    shaft_y: list[float | None] = []
    head_x, head_y, angle = [], [], []
    for row, col, action, _ in arrows:
        dr, dc = ACTIONS[action]
        shaft_x += [col + start * dc, col + end * dc, None]
        shaft_y += [row + start * dr, row + end * dr, None]
        head_x.append(col + end * dc)
        head_y.append(row + end * dr)
        angle.append(HEADING[action])
    common: dict[str, Any] = {"hoverinfo": "skip", "showlegend": False}
    return [
        go.Scatter(
            x=shaft_x, y=shaft_y, mode="lines", line={"color": colour, "width": 2.5}, **common
        ),
        go.Scatter(
            x=head_x,
            y=head_y,
            mode="markers",
            marker={"symbol": "triangle-up", "angle": angle, "size": 11, "color": colour},
            name="policy",
            **common,
        ),
    ]


def _open(cells: pd.DataFrame, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[cells["row"].to_numpy(int), cells["col"].to_numpy(int)] = True
    return mask
