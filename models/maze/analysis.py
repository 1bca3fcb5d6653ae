"""Turning a maze run's tables into the numbers a researcher reports, and back into a maze.

Two directions:

* from a finished run to tables: :func:`learned_tables` writes what the walkers learned —
  each walker's greedy move and value in every cell (``policy``) and, for Dyna-Q, the model of
  the maze it built (``learned_model``) — as plain Parquet-ready tables (the run's extra tables,
  through :meth:`MazeModel.final_tables <socialrl_models.maze.model.MazeModel.final_tables>`);
* from those tables back to theory: :func:`layout_from_policy` redraws the maze a run lived in,
  :func:`maze_mdp` rebuilds its MDP and :func:`optimal_policy` solves it (value iteration,
  BFS), so the app can put the learned policy beside the optimal one from the run's files
  alone; :func:`greedy_path` follows a policy from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "POLICY_AGENTS",
    "episodes_to_optimal",
    "greedy_path",
    "layout_from_policy",
    "learned_tables",
    "maze_mdp",
    "optimal_policy",
    "study_summary",
]

#: Walkers per group whose policy (and Dyna-Q model) a run records: enough to look at and
#: compare, while a population of 10,000 walkers does not write 10,000 copies of the maze.
POLICY_AGENTS = 16


def episodes_to_optimal(agents: pd.DataFrame) -> pd.DataFrame:
    """Find when each walker's greedy policy became optimal, and stayed so.

    Reads the ``agents`` snapshot table of a maze run (columns ``step``, ``agent``,
    ``episodes``, ``greedy_optimal``). A walker has *learned* at the first snapshot from which
    its greedy path from the start is a shortest path in every later snapshot.

    Returns:
        One row per walker (per ``run_id`` too, when the table has one):
        ``learned`` (bool), ``step`` and ``episodes`` at the first snapshot of the final optimal
        streak (NaN when the walker never got there).

    """
    keys = [c for c in ("run_id",) if c in agents.columns] + ["agent"]
    table = agents.sort_values([*keys, "step"])
    optimal = table["greedy_optimal"].astype(bool)
    # A snapshot starts the final streak if it and every later one (of that walker) are optimal.
    last_failure = (
        table.assign(_fail=np.where(~optimal, table["step"], -1))
        .groupby(keys)["_fail"]
        .transform("max")
    )
    streak = table[optimal & (table["step"] > last_failure)]
    first = streak.groupby(keys, as_index=False).first()[[*keys, "step", "episodes"]]
    everyone = table[keys].drop_duplicates()
    out = everyone.merge(first, on=keys, how="left")
    out.insert(len(keys), "learned", out["step"].notna())
    return out.reset_index(drop=True)


def study_summary(results: Any) -> pd.DataFrame:
    """How many episodes each setting of a maze study needed to reach the optimal path length.

    For every swept setting: the BFS shortest path, the share of walkers whose greedy path
    became optimal for good, and the episodes they needed (mean, s.d., 95% CI across seeds:
    each run contributes the mean over its walkers).

    Args:
        results: A :class:`socialrl.study.StudyResults` of a maze study recorded with
            ``snapshot_every``.

    """
    from socialrl.study.results import summarize

    agents = results.agents
    by = results.swept
    learned = episodes_to_optimal(agents[["run_id", "agent", "step", "episodes", "greedy_optimal"]])
    keys = agents.drop_duplicates("run_id")[["run_id", *by]]
    learned = learned.merge(keys, on="run_id")
    table = summarize(learned, "episodes", by).rename(
        columns={
            "mean": "episodes_mean",
            "sd": "episodes_sd",
            "n": "runs",
            "ci95_low": "episodes_ci95_low",
            "ci95_high": "episodes_ci95_high",
        }
    )
    if by:
        share = learned.groupby(by, dropna=False)["learned"].mean().rename("learned_share")
        table = table.merge(share.reset_index(), on=by)
    else:
        table["learned_share"] = learned["learned"].mean()
    if "model.layout" in by:
        params = results.spec.model.params
        table.insert(
            len(by),
            "shortest_path",
            [_shortest(layout, params) for layout in table["model.layout"]],
        )
    return table


def _shortest(layout: str, params: dict[str, Any]) -> int | None:
    from .model import MazeModel

    if str(layout).startswith("random:"):
        return None  # drawn anew from each run's seed
    return MazeModel(layout).optimal_path_length


# ---------------------------------------------------------------------- what a run learned
def learned_tables(
    layout_text: str,
    mdp: Any,
    n_walkers: int,
    greedy_moves: Callable[[], np.ndarray],
    groups: Sequence[tuple[str, str, Any, np.ndarray | None]],
    max_agents: int = POLICY_AGENTS,
) -> dict[str, pd.DataFrame]:
    """Tabulate the learned policies (and Dyna-Q models) of a maze run's learning groups.

    Learners are duck-typed, so any learner gets arrows and tabular ones get more. A tabular
    learner's greedy moves and values ``max_a Q(s, a)`` come from its Q table (``q[k, s, a]``,
    read for the recorded walkers only, or ``greedy_table()`` and ``values()``); any other
    learner's moves come from ``greedy_moves()`` (the population's greedy policy evaluated in
    every state by the model, called at most once) and its values are NaN. A learner with
    ``learned_model(agent)`` (Dyna-Q) adds its model. Groups that do not learn (random or fixed
    policies) are skipped.

    Args:
        layout_text: The maze as ASCII (each state's cell character is recorded, so the app
            can redraw the maze from the table, random mazes included).
        mdp: The run's :class:`~socialrl_models.maze.theory.MazeMDP`.
        n_walkers: Walkers in the maze (the role's size).
        greedy_moves: Gives ``int[walkers, S]``, each walker's greedy move in each state.
        groups: ``population.bound_groups``: ``(name, role, learner, slots or None)``.
        max_agents: Walkers recorded per group (the first ones).

    Returns:
        ``{"policy": …}`` with one row per recorded walker and state — ``group, agent, state,
        row, col, cell, greedy_action, value, grid_rows, grid_cols`` — and, when some learner
        has a model, ``{"learned_model": …}``: ``group, agent, state, action, next_state,
        reward, terminated, visits, row, col, next_row, next_col``.

    """
    lines = layout_text.splitlines()
    rows, cols = mdp.cells[:, 0], mdp.cells[:, 1]
    cell = np.array([lines[r][c] for r, c in mdp.cells])
    n_states = mdp.n_states
    policies, models = [], []
    evaluated: list[np.ndarray] = []
    for name, _role, learner, index in groups:
        if not getattr(learner, "learns", True):
            continue
        slots = np.arange(n_walkers) if index is None else np.asarray(index)
        members = np.arange(min(len(slots), max_agents))
        tables = _table_rows(learner, len(slots), members)
        values = np.full((members.size, n_states), np.nan)
        q = getattr(learner, "q", None)
        if tables is not None and isinstance(q, np.ndarray) and q.ndim == 3:
            q = q[tables]  # the recorded walkers' tables only: cheap for any population
            values, moves = q.max(axis=2), q.argmax(axis=2)
        elif tables is not None and hasattr(learner, "greedy_table"):
            values = np.asarray(learner.values(), dtype=np.float64)[tables]
            moves = np.asarray(learner.greedy_table())[tables]
        else:
            moves = _all(greedy_moves, evaluated)[slots[members]]
        k = members.size
        policies.append(
            pd.DataFrame(
                {
                    "group": np.full(k * n_states, name, dtype=object),
                    "agent": np.repeat(slots[members], n_states).astype(np.int64),
                    "state": np.tile(np.arange(n_states, dtype=np.int64), k),
                    "row": np.tile(rows, k),
                    "col": np.tile(cols, k),
                    "cell": np.tile(cell, k),
                    "greedy_action": moves.ravel().astype(np.int64),
                    "value": values.ravel(),
                    "grid_rows": np.int64(mdp.shape[0]),
                    "grid_cols": np.int64(mdp.shape[1]),
                }
            )
        )
        if hasattr(learner, "learned_model"):
            seen: set[int] = set()
            for i in members:
                table = int(tables[i]) if tables is not None else int(i)
                if table in seen:
                    continue  # a shared model is recorded once
                seen.add(table)
                frame = learner.learned_model(int(i))
                frame.insert(0, "agent", np.int64(slots[i]))
                frame.insert(0, "group", name)
                models.append(frame)
    out: dict[str, pd.DataFrame] = {}
    if policies:
        out["policy"] = pd.concat(policies, ignore_index=True)
    if models:
        frame = pd.concat(models, ignore_index=True)
        for prefix, column in (("", "state"), ("next_", "next_state")):
            known = frame[column].to_numpy() >= 0
            where = np.where(known, frame[column].to_numpy(), 0)
            frame[f"{prefix}row"] = np.where(known, rows[where], -1)
            frame[f"{prefix}col"] = np.where(known, cols[where], -1)
        out["learned_model"] = frame
    return out


def _all(greedy_moves: Callable[[], np.ndarray], memo: list[np.ndarray]) -> np.ndarray:
    """Every walker's greedy move in every state, evaluated once."""
    if not memo:
        memo.append(np.asarray(greedy_moves()))
    return memo[0]


def _table_rows(learner: Any, n_group: int, members: np.ndarray) -> np.ndarray | None:
    """Row of the learner's value table for each member (None: the learner has no table)."""
    if hasattr(learner, "table_of"):
        return np.array([learner.table_of(int(i)) for i in members], dtype=np.int64)
    q = getattr(learner, "q", None)
    if isinstance(q, np.ndarray) and q.ndim == 3:
        n_tables = q.shape[0]
    elif hasattr(learner, "greedy_table") and hasattr(learner, "values"):  # a tabular learner
        n_tables = int(np.asarray(learner.values()).shape[0])
    else:
        return None
    return members if n_tables == n_group else np.zeros(members.size, dtype=np.int64)


# ---------------------------------------------------------------------- back to theory
def layout_from_policy(policy: pd.DataFrame) -> str:
    """Redraw the ASCII maze from one walker's ``policy`` rows (walls where no state lies).

    Raises:
        ValueError: for a table without the ``row``, ``col``, ``cell`` and grid-size columns.

    """
    needed = {"row", "col", "cell", "grid_rows", "grid_cols"}
    if not needed <= set(policy.columns) or policy.empty:
        raise ValueError(f"a policy table needs columns {sorted(needed)}")
    first = policy.iloc[0]
    grid = np.full((int(first["grid_rows"]), int(first["grid_cols"])), "#", dtype="<U1")
    cells = policy.drop_duplicates(["row", "col"])
    grid[cells["row"].to_numpy(int), cells["col"].to_numpy(int)] = cells["cell"].astype(str)
    return "\n".join("".join(line) for line in grid)


def maze_mdp(
    layout: str,
    step_reward: float = -1.0,
    goal_reward: float = 0.0,
    trap_reward: float = -100.0,
    slip: float = 0.0,
) -> Any:
    """The :class:`~.theory.MazeMDP` of a layout with the model's reward parameters.

    Built through :class:`~.model.MazeModel`, so the theory describes exactly the world the
    walkers lived in (moves follow the Mesa grid's connections).
    """
    from .model import MazeModel

    return MazeModel(
        layout,
        step_reward=step_reward,
        goal_reward=goal_reward,
        trap_reward=trap_reward,
        slip=slip,
        rng=0,
    ).mdp


def optimal_policy(mdp: Any, gamma: float = 0.95) -> pd.DataFrame:
    """The optimal policy of a maze by value iteration, with BFS distances.

    Args:
        mdp: The maze (:func:`maze_mdp`).
        gamma: Discount factor of the value iteration (the learners' γ, to compare values).

    Returns:
        One row per state: ``state, row, col, optimal_action`` (ties → lowest index),
        ``optimal_actions`` (a bit mask: bit ``a`` set when move ``a`` is optimal too; 0 on
        terminal cells), ``value`` (V*), ``distance`` (BFS moves to a goal, −1 if none) and
        ``terminal``.

    """
    from .theory import shortest_path_lengths, value_iteration

    v, policy = value_iteration(mdp, gamma=gamma)
    p = mdp.transition_probabilities()
    q = p @ (mdp.step_reward + mdp.entry_reward) + gamma * (p @ np.where(mdp.terminal, 0.0, v))
    best = q >= q.max(axis=1, keepdims=True) - 1e-9 * np.maximum(1.0, np.abs(q).max())
    mask = (best * (1 << np.arange(q.shape[1]))).sum(axis=1)
    return pd.DataFrame(
        {
            "state": np.arange(mdp.n_states, dtype=np.int64),
            "row": mdp.cells[:, 0],
            "col": mdp.cells[:, 1],
            "optimal_action": policy.astype(np.int64),
            "optimal_actions": np.where(mdp.terminal, 0, mask).astype(np.int64),
            "value": v,
            "distance": shortest_path_lengths(mdp),
            "terminal": mdp.terminal,
        }
    )


def greedy_path(mdp: Any, policy: np.ndarray, start: int | None = None) -> list[int]:
    """The states a deterministic policy visits from the start (slip-free), goal included.

    Stops on a terminal state, or when a state repeats (the policy loops: the repeated state
    ends the list), so the result has at most ``S + 1`` states.
    """
    state = mdp.start if start is None else int(start)
    path, seen = [state], {state}
    while not mdp.terminal[state]:
        state = int(mdp.next_state[state, int(policy[state])])
        path.append(state)
        if state in seen:
            break
        seen.add(state)
    return path
