"""The board view: how games ended, and any recorded game replayed move by move.

Reads what a board study writes at the end of each run (:mod:`.records`):

* ``games`` — one row per game played (``outcome``, ``length``): the outcome shares per swept
  setting, each the mean over runs with its 95% interval (the run is the unit: one run's
  games share their learners; :mod:`.summary`);
* ``replays`` — the last games of every board ply by ply (``game``, ``episode``, ``ply``,
  ``seat``, ``move``, ``row``, ``col``; ``X`` plays the even plies): pick a run and a game,
  then drag the slider over its plies; the board is drawn as it stood after that ply, the
  last stone outlined.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from socialrl.app import charts
from socialrl.app.data import Study
from socialrl.app.views.common import param, pick_run, table_or_message
from socialrl.statistics import across_runs

from .model import BoardGameModel
from .summary import OUTCOME_SHARES, outcome_shares

TITLE = "Board games: outcomes and replays"
#: The model's own defaults: the board of a run that did not set m or n.
DEFAULTS = {name: p.default for name, p in inspect.signature(BoardGameModel).parameters.items()}
STONES = (".", "X", "O")
#: Empty, X (the first mover), O.
CELL_COLOURS = ("#f4f1ea", charts.COLOURS[0], charts.COLOURS[1])


def board_after(moves: pd.DataFrame, m: int, n: int) -> np.ndarray:
    """``int[m, n]``: 0 empty, 1 X, 2 O, after the plies of ``moves`` (ply, row, col)."""
    board = np.zeros((m, n), dtype=np.int64)
    rows, cols = moves["row"].to_numpy(int), moves["col"].to_numpy(int)
    board[rows, cols] = moves["ply"].to_numpy(int) % 2 + 1  # X moves on even plies
    return board


def board_figure(board: np.ndarray, last: tuple[int, int] | None, title: str) -> go.Figure:
    """The board as a heatmap of stones, ``X`` and ``O`` written in, the last stone outlined."""
    m, n = board.shape
    scale = []
    for k, colour in enumerate(CELL_COLOURS):
        scale += [[k / 3, colour], [(k + 1) / 3, colour]]
    fig = go.Figure(
        go.Heatmap(
            z=board,
            zmin=-0.5,
            zmax=2.5,
            colorscale=scale,
            showscale=False,
            text=[[STONES[v] if v else "" for v in row] for row in board.tolist()],
            texttemplate="%{text}",
            textfont={"size": 28, "color": "white"},
            xgap=3,
            ygap=3,
            hovertemplate="row %{y}, column %{x}: %{text}<extra></extra>",
        )
    )
    if last is not None:
        r, c = last
        fig.add_shape(
            type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
            line={"color": "#222", "width": 4},
        )  # fmt: skip
    fig.update_layout(
        title={"text": title},
        height=120 + 70 * m,
        width=80 + 70 * n,
        xaxis={"tickvals": list(range(n)), "title": {"text": "column"}, "constrain": "domain"},
        yaxis={"autorange": "reversed", "scaleanchor": "x", "tickvals": list(range(m))},
    )
    return fig


def game_label(game: pd.Series) -> str:
    """``board 3, game 12: X won`` (games counted from 1 at each board)."""
    ending = {"first": "X won", "second": "O won", "draw": "drawn", "unfinished": "cut short"}
    outcome = str(game["outcome"])
    board, number = int(game["game"]), int(game["episode"]) + 1
    return f"board {board}, game {number}: {ending.get(outcome, outcome)}"


def replay_section(study: Study) -> None:
    """Pick a run and one of its recorded games; a slider steps through the plies."""
    st.subheader("Replay a game")
    replays = table_or_message(
        study, "replays", "board runs write the last games of every board when they end."
    )
    if replays is None:
        return
    run = pick_run(study, "board", among=replays["run_id"].astype(str).unique())
    if run is None:
        return
    params = study.info()["model_params"]
    m, n = (int(param(run, side, DEFAULTS[side], params)) for side in ("m", "n"))
    mine = replays[replays["run_id"].astype(str) == str(run["run_id"])]
    games = mine.drop_duplicates(["game", "episode"]).sort_values(["game", "episode"])
    labels = [game_label(g) for _, g in games.iterrows()]
    index = st.selectbox(
        "Game", list(range(len(games))), format_func=labels.__getitem__, key="board_game"
    )
    game = games.iloc[int(index or 0)]
    moves = mine[(mine["game"] == game["game"]) & (mine["episode"] == game["episode"])]
    moves = moves.sort_values("ply")
    length = len(moves)
    ply = st.slider("Ply", 0, length, length, key="board_ply", help="0: the empty board")
    shown = moves.iloc[:ply]
    last = (int(shown["row"].iloc[-1]), int(shown["col"].iloc[-1])) if ply else None
    title = f"{game_label(game)} — after ply {ply} of {length}"
    figure = board_figure(board_after(shown, m, n), last, title)
    st.plotly_chart(figure, key="board_replay")
    played = " ".join(
        f"{STONES[p % 2 + 1]}{mv}" for p, mv in zip(moves["ply"], moves["move"], strict=True)
    )
    st.caption(f"Moves (X first; cells r·n + c, or columns with gravity): {played}")


def outcomes_figure(shares: pd.DataFrame, by: list[str]) -> go.Figure:
    """Mean share of each outcome per setting, with its 95% interval over runs."""
    fig = go.Figure()
    settings = shares.groupby(by, dropna=False, sort=True) if by else [("all", shares)]
    for j, (setting, part) in enumerate(settings):
        label = ", ".join(map(str, setting)) if isinstance(setting, tuple) else str(setting)
        mean = part["mean"].to_numpy()
        fig.add_trace(
            go.Bar(
                x=part["outcome"],
                y=mean,
                name=label,
                marker={"color": charts.COLOURS[j % len(charts.COLOURS)]},
                error_y={
                    "type": "data",
                    "array": part["ci95_high"].to_numpy() - mean,
                    "arrayminus": mean - part["ci95_low"].to_numpy(),
                },
                customdata=part["n"],
                hovertemplate="%{x}: %{y:.3f} (runs %{customdata})<extra></extra>",
            )
        )
    fig.update_layout(
        title={"text": "How games ended (mean share over runs, 95% interval)"},
        barmode="group",
        yaxis={"range": [0, 1], "title": {"text": "share of games"}},
        height=380,
    )
    return fig


def outcomes_section(study: Study) -> None:
    """The outcome shares per swept setting: first player won, drawn, second player won."""
    st.subheader("How the games ended")
    games = table_or_message(study, "games", "board runs write every game played when they end.")
    if games is None:
        return
    by = [c for c in study.info()["swept"] if c in games.columns]
    per_run = outcome_shares(games, by)
    rows = []
    for outcome, share in OUTCOME_SHARES.items():
        stats = across_runs(per_run, share, by, bounds=(0, 1))
        rows.append(stats.assign(outcome=outcome))
    shares = pd.concat(rows, ignore_index=True)
    st.plotly_chart(outcomes_figure(shares, by), key="board_outcomes")
    columns = st.columns(2)
    columns[0].metric("games", f"{int(per_run['games'].sum()):,}")
    columns[1].metric("runs", f"{per_run['run_id'].nunique()}")


def render(study: Study) -> None:
    """The board view."""
    outcomes_section(study)
    replay_section(study)
