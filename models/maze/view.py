"""The maze view: the lecture's pictures of a policy, its values, and a learned model.

For one run and one walker (the run's ``policy`` table, written by
:meth:`MazeModel.final_tables <socialrl_models.maze.model.MazeModel.final_tables>`):

* the **learned greedy policy** as arrows on the maze, over a heatmap of the walker's values
  ``V(s) = max_a Q(s, a)``; arrows that are not optimal are red, and the greedy path from the
  start is drawn;
* the **optimal policy** beside it: value iteration on the same maze (redrawn from the
  table, so random mazes work too) with the learners' γ, over ``V*``; BFS distances on hover;
* **Dyna-Q's learned model** (``learned_model`` table): the transitions the walker believes in,
  as arrows from each cell, over how often it tried them, with the rewards it expects;
* across **all runs**, the share of cells whose greedy move is optimal, per setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from socialrl.app import charts
from socialrl.app.data import Study
from socialrl.app.labels import column_label
from socialrl.app.views.common import param, pick_run, table_or_message

from .figures import ARROW_OK, ARROW_OPTIMAL, ARROW_WRONG, maze_figure
from .layouts import layout_from_policy
from .theory import (
    ACTION_NAMES,
    greedy_path,
    maze_mdp,
    optimal_policy,
)

TITLE = "Maze: learned policy, optimal policy, learned model"


# ---------------------------------------------------------------------- theory (cached)
@st.cache_data(show_spinner=False, max_entries=64)
def solve(layout: str, rewards: tuple[float, float, float, float], gamma: float) -> pd.DataFrame:
    """Value iteration and BFS on a layout (cached: a study has few distinct mazes)."""
    step, goal, trap, slip = rewards
    mdp = maze_mdp(layout, step_reward=step, goal_reward=goal, trap_reward=trap, slip=slip)
    return optimal_policy(mdp, gamma)


@st.cache_data(show_spinner=False, max_entries=64)
def path_of(
    layout: str, rewards: tuple[float, float, float, float], policy: tuple[int, ...]
) -> list[int]:
    """The greedy path from the start under a policy (one action per state)."""
    step, goal, trap, slip = rewards
    mdp = maze_mdp(layout, step_reward=step, goal_reward=goal, trap_reward=trap, slip=slip)
    return greedy_path(mdp, np.asarray(policy))


def _rewards(run: pd.Series, params: dict[str, Any]) -> tuple[float, float, float, float]:
    return (
        float(param(run, "step_reward", -1.0, params)),
        float(param(run, "goal_reward", 0.0, params)),
        float(param(run, "trap_reward", -100.0, params)),
        float(param(run, "slip", 0.0, params)),
    )


# ---------------------------------------------------------------------- drawing
def _is_optimal(actions: np.ndarray, masks: np.ndarray) -> np.ndarray:
    return ((masks >> actions) & 1).astype(bool)


# ---------------------------------------------------------------------- sections
@dataclass(frozen=True)
class _Comparison:
    """One walker's learned policy and the maze's optimal one, with what both figures share."""

    walker: pd.DataFrame
    optimal: pd.DataFrame
    gamma: float
    shape: tuple[int, int]
    live: np.ndarray
    learned: np.ndarray
    good: np.ndarray
    values: np.ndarray
    value_range: tuple[float, float]
    path: list[int]

    @property
    def cells_rc(self) -> list[tuple[int, int]]:
        """``(row, col)`` of every state, in state order."""
        rows, cols = self.walker["row"], self.walker["col"]
        return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)]


def policy_section(study: Study, policy: pd.DataFrame) -> tuple[pd.Series, int] | None:
    """Learned policy beside the optimal one, for a chosen run and walker."""
    chosen = _pick_walker(study, policy)
    if chosen is None:
        return None
    run, agent, walker = chosen
    comparison = _compare(run, walker, study.info()["model_params"])
    _policy_metrics(comparison)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(_learned_figure(comparison, agent), key="maze_learned")
    with right:
        st.plotly_chart(_optimal_figure(comparison), key="maze_optimal")
    st.caption(
        "Arrows: the greedy move in each cell (red where it is not optimal); the orange line: "
        "the greedy path from S. Colours: the values the walker learned, max_a Q(s, a), and "
        "the optimal values V* on the same scale; a cell without colour is one whose values "
        "never moved from their start (nothing learned there yet). Hover a cell for its numbers."
    )
    return run, agent


def _pick_walker(study: Study, policy: pd.DataFrame) -> tuple[pd.Series, int, pd.DataFrame] | None:
    """The chosen run, walker, and that walker's policy rows in state order (None: no run)."""
    run = pick_run(study, "maze", among=policy["run_id"].astype(str).unique())
    if run is None:
        return None
    mine = policy[policy["run_id"] == run["run_id"]]
    walkers = sorted(mine["agent"].unique())
    agent = int(
        st.selectbox(
            "Walker",
            walkers,
            key="maze_walker",
            help=f"The run recorded the policies of walkers {walkers[0]}–{walkers[-1]}.",
        )
    )
    return run, agent, mine[mine["agent"] == agent].sort_values("state")


def _compare(run: pd.Series, walker: pd.DataFrame, params: dict[str, Any]) -> _Comparison:
    """Solve the walker's maze with the run's rewards and γ, and check its greedy moves.

    Both figures share one colour range (over live cells only: terminal values would
    stretch it), so learned and optimal values can be compared by eye.
    """
    layout = layout_from_policy(walker)
    gamma = float(param(run, "gamma", 0.95, params))
    rewards = _rewards(run, params)
    optimal = solve(layout, rewards, gamma)
    live = ~optimal["terminal"].to_numpy()
    learned = walker["greedy_action"].to_numpy(int)
    values = walker["value"].to_numpy(float)
    finite = np.concatenate([values[np.isfinite(values) & live], optimal["value"][live]])
    return _Comparison(
        walker=walker,
        optimal=optimal,
        gamma=gamma,
        shape=(int(walker["grid_rows"].iloc[0]), int(walker["grid_cols"].iloc[0])),
        live=live,
        learned=learned,
        good=_is_optimal(learned, optimal["optimal_actions"].to_numpy(int)),
        values=values,
        value_range=(float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0),
        path=path_of(layout, rewards, tuple(int(a) for a in learned)),
    )


def _policy_metrics(comp: _Comparison) -> None:
    """Three numbers: optimal cells, the greedy path's length, and the shortest path's."""
    path, optimal, live = comp.path, comp.optimal, comp.live
    best = optimal["distance"].to_numpy()[path[0]]
    reached = bool(optimal["terminal"].to_numpy()[path[-1]])
    length = len(path) - 1
    a, b, c = st.columns(3)
    a.metric("greedy move optimal", f"{comp.good[live].sum()} of {live.sum()} cells")
    b.metric(
        "greedy path from S",
        f"{length} moves" if reached else "loops",
        help="Following the arrows from the start, without slips.",
    )
    c.metric("shortest path (BFS)", f"{best} moves")


def _learned_figure(comp: _Comparison, agent: int) -> go.Figure:
    """The walker's greedy moves (red where not optimal) and greedy path over its values."""
    walker, cells_rc = comp.walker, comp.cells_rc
    hover = [
        f"state {s} ({r}, {co})<br>"
        + (f"V = {v:.3f}<br>greedy: {ACTION_NAMES[a_]}" if np.isfinite(v) else "nothing learned")
        + ("" if ok or not lv or not np.isfinite(v) else " (not optimal)")
        for s, r, co, v, a_, ok, lv in zip(
            walker["state"],
            walker["row"],
            walker["col"],
            comp.values,
            comp.learned,
            comp.good,
            comp.live,
            strict=True,
        )
    ]
    arrows = [
        (r, c_, int(act), ARROW_OK if ok else ARROW_WRONG)
        for (r, c_), act, ok, lv in zip(cells_rc, comp.learned, comp.good, comp.live, strict=True)
        if lv
    ]
    return maze_figure(
        walker[["row", "col", "cell"]],
        comp.shape,
        comp.values,
        comp.value_range,
        arrows,
        f"Learned greedy policy, walker {agent}",
        hover,
        path=[cells_rc[s] for s in comp.path],
        value_label="max_a Q(s,a)",
    )


def _optimal_figure(comp: _Comparison) -> go.Figure:
    """Value iteration's moves over V*, with every optimal move and BFS distance on hover."""
    optimal = comp.optimal
    hover = [
        f"state {s} ({r}, {co})<br>V* = {v:.3f}<br>optimal: "
        + "/".join(ACTION_NAMES[k] for k in range(4) if m >> k & 1)
        + f"<br>BFS distance {d}"
        for s, r, co, v, m, d in zip(
            optimal["state"],
            optimal["row"],
            optimal["col"],
            optimal["value"],
            optimal["optimal_actions"],
            optimal["distance"],
            strict=True,
        )
    ]
    arrows = [
        (r, c_, int(act), ARROW_OPTIMAL)
        for (r, c_), act, lv in zip(
            comp.cells_rc, optimal["optimal_action"], comp.live, strict=True
        )
        if lv
    ]
    return maze_figure(
        comp.walker[["row", "col", "cell"]],
        comp.shape,
        optimal["value"].to_numpy(float),
        comp.value_range,
        arrows,
        f"Optimal policy (value iteration, γ = {comp.gamma:g})",
        hover,
        value_label="V*(s)",
    )


def model_section(study: Study, run: pd.Series, agent: int) -> None:
    """Dyna-Q's learned model of the maze for the chosen run and walker."""
    st.subheader("The learned model (Dyna-Q)")
    found = _model_rows(study, run, agent)
    if found is None:
        return
    mine, agent = found
    policy = study.table("policy").frame
    walker = policy[(policy["run_id"].astype(str) == run["run_id"]) & (policy["agent"] == agent)]
    if walker.empty:
        st.info("No policy rows for this walker: cannot draw its maze.")
        return
    walker = walker.sort_values("state")
    arrows, bumps = _modelarrow_traces(mine)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(_model_figure(mine, walker, agent, arrows), key="maze_model")
    with right:
        st.metric("state–action pairs in the model", f"{len(mine)} of {len(walker) * 4}")
        st.metric("moves it believes hit a wall", bumps)
        st.caption(
            "Each arrow is a move the walker has tried and the cell its model predicts; "
            "Dyna-Q replays these in its head (planning). Cells it never visited stay white."
        )
    with st.expander("The model as a table"):
        shown = mine.assign(action=[ACTION_NAMES[a] for a in mine["action"]])
        st.dataframe(
            shown[
                ["state", "row", "col", "action", "next_state", "reward", "terminated", "visits"]
            ],
            hide_index=True,
            width="stretch",
        )


def _model_rows(study: Study, run: pd.Series, agent: int) -> tuple[pd.DataFrame, int] | None:
    """The run's model rows for the walker, and the walker they belong to (None: says why).

    A model shared by a group is recorded once, under its first walker, so a walker without
    rows of its own is shown that one.
    """
    model = table_or_message(
        study,
        "learned_model",
        "only Dyna-Q learners keep a model of the maze (learner `dyna_q`); Q-learning is "
        "model-free.",
    )
    if model is None:
        return None
    mine = model[model["run_id"].astype(str) == run["run_id"]]
    if mine.empty:
        st.info("This run's learners keep no model (its groups are not Dyna-Q).")
        return None
    if agent not in set(mine["agent"]):
        agent = int(mine["agent"].iloc[0])  # a shared model is recorded once, for its first
    return mine[mine["agent"] == agent], agent


def _modelarrow_traces(mine: pd.DataFrame) -> tuple[list[tuple[int, int, int, str]], int]:
    """One arrow per move the model predicts leaves the cell, and how many hit a wall.

    A move predicted to stay put has no direction to draw, so it is counted instead.
    """
    arrows, bumps = [], 0
    row: Any  # a row of the model table (pandas types its fields too loosely for int())
    for row in mine.itertuples(index=False):
        if row.next_state == row.state:
            bumps += 1
            continue
        arrows.append((int(row.row), int(row.col), int(row.action), ARROW_OK))
    return arrows, bumps


def _model_figure(
    mine: pd.DataFrame,
    walker: pd.DataFrame,
    agent: int,
    arrows: list[tuple[int, int, int, str]],
) -> go.Figure:
    """The model's arrows over log10 visits per cell (visit counts span decades)."""
    shape = (int(walker["grid_rows"].iloc[0]), int(walker["grid_cols"].iloc[0]))
    visits = mine.groupby("state")["visits"].sum().reindex(walker["state"]).to_numpy(float)
    reward = mine.groupby("state")["reward"].mean().reindex(walker["state"])
    known = np.isfinite(visits) & (visits > 0)
    shade = np.where(known, np.log10(np.where(known, visits, 1.0)), np.nan)
    hover = [
        f"state {s} ({r}, {c})<br>"
        + (f"tried {int(v)} times<br>expected reward {rw:.3g}" if k else "never visited")
        for s, r, c, v, rw, k in zip(
            walker["state"],
            walker["row"],
            walker["col"],
            np.nan_to_num(visits),
            reward.fillna(0).to_numpy(),
            known,
            strict=True,
        )
    ]
    finite = shade[np.isfinite(shade)]
    return maze_figure(
        walker[["row", "col", "cell"]],
        shape,
        shade,
        (0.0, float(finite.max()) if finite.size else 1.0),
        arrows,
        f"What walker {agent} believes: predicted moves from each cell it tried",
        hover,
        value_label="log10 visits",
        span=(0.08, 0.36),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def optimal_shares(path: str, root: str, sig: tuple[int, int, int]) -> pd.DataFrame:
    """Per run: the share of live cells whose greedy move is optimal, mean over its walkers.

    Each distinct maze is solved once (runs of a built-in layout share it; a random layout is
    redrawn per run); the check itself is vectorised over every recorded walker and cell.
    """
    study = Study(path=Path(path), root=Path(root))
    policy = study.table("policy").frame
    params = study.info()["model_params"]
    runs = study.runs().set_index("run_id")
    solved: dict[tuple[Any, ...], pd.DataFrame] = {}
    rows = []
    states = policy["state"].to_numpy(int)
    actions = policy["greedy_action"].to_numpy(int)
    agents = policy["agent"].to_numpy(int)
    for run_id, index in policy.groupby("run_id", observed=True).indices.items():
        run = runs.loc[str(run_id)]
        assert isinstance(run, pd.Series)  # run ids are unique
        layout_param = str(param(run, "layout", "lecture", params))
        rewards = _rewards(run, params)
        gamma = float(param(run, "gamma", 0.95, params))
        maze_key = str(run_id) if layout_param.startswith("random:") else layout_param
        key = (maze_key, rewards, gamma)
        if key not in solved:
            first = policy.iloc[index]
            first = first[first["agent"] == first["agent"].iloc[0]].sort_values("state")
            solved[key] = solve(layout_from_policy(first), rewards, gamma)
        optimal = solved[key]
        masks = optimal["optimal_actions"].to_numpy(int)[states[index]]
        live = ~optimal["terminal"].to_numpy(bool)[states[index]]
        good = _is_optimal(actions[index], masks) & live
        per_agent = pd.DataFrame({"agent": agents[index], "good": good, "live": live})
        sums = per_agent.groupby("agent")[["good", "live"]].sum()
        rows.append({"run_id": str(run_id), "optimal_share": (sums["good"] / sums["live"]).mean()})
    return pd.DataFrame(rows, columns=["run_id", "optimal_share"])


def study_section(study: Study) -> None:
    """Across every run: the share of cells whose greedy move is optimal, per setting."""
    st.subheader("Across all runs: how much of the maze is solved")
    info = study.info()
    shares = optimal_shares(str(study.path), str(study.root), study.signature())
    runs = study.runs()
    swept = [c for c in info["swept"] if c in runs.columns]
    colour = swept[0] if swept else None
    table = runs.merge(shares, on="run_id", how="inner")
    title = "Share of cells whose greedy move is optimal (mean over recorded walkers, per run)"
    st.plotly_chart(
        charts.distribution_figure(table, "optimal_share", colour, title), key="maze_shares"
    )
    if colour:
        st.caption(f"Grouped by {column_label(colour)}; every point is one run (seed).")


def render(study: Study) -> None:
    """The maze view."""
    policy = table_or_message(
        study,
        "policy",
        "maze runs record their walkers' learned policies at the end (the `policy` extra "
        "table); this study was run before that, or its learners do not learn. Run it again "
        "with --fresh to record them.",
    )
    if policy is None:
        return
    chosen = policy_section(study, policy)
    if chosen is None:
        return
    model_section(study, *chosen)
    study_section(study)
