"""What a maze run's walkers learned, as tables: greedy moves, values and Dyna-Q's model.

At the end of a run :meth:`MazeModel.final_tables
<socialrl_models.maze.model.MazeModel.final_tables>` calls :func:`learned_tables`, and the
tables are stored beside ``steps`` and ``agents``: the app's maze view draws arrows and values
from ``policy`` and Dyna-Q's beliefs from ``learned_model``, with nothing but the run's files.
Each cell's character is recorded too, so the maze itself (random ones included) can be redrawn
(:func:`~socialrl_models.maze.layouts.layout_from_policy`).

Learners are read through their declared abilities (:mod:`socialrl.capabilities`), so any
learner gets arrows and the tabular ones get more: a :class:`~socialrl.capabilities.TabularValues`
learner gives its greedy moves and values ``max_a Q(s, a)`` from its Q tables (NaN in states
whose Q row never moved from its start: nothing was learned there); any other
learner's moves come from its greedy policy evaluated in every state, and its values are NaN;
a :class:`~socialrl.capabilities.LearnedModel` learner (Dyna-Q) adds its model of the maze.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.capabilities import LearnedModel, TabularValues

if TYPE_CHECKING:
    from socialrl.learners.base import Learner

    from .theory import MazeMDP

__all__ = ["POLICY_AGENTS", "learned_tables"]

#: Walkers per group whose policy (and Dyna-Q model) a run records: enough to look at and
#: compare, while a population of 10,000 walkers does not write 10,000 copies of the maze.
POLICY_AGENTS = 16

Group = tuple[str, str, "Learner", np.ndarray | None]


def learned_tables(
    layout_text: str,
    mdp: MazeMDP,
    n_walkers: int,
    greedy_moves: Callable[[], np.ndarray],
    groups: Sequence[Group],
    max_agents: int = POLICY_AGENTS,
) -> dict[str, pd.DataFrame]:
    """Tabulate the learned policies (and Dyna-Q models) of a maze run's learning groups.

    Groups that do not learn (random or fixed policies) are skipped.

    Args:
        layout_text: The maze as ASCII (each state's cell character is recorded).
        mdp: The run's maze.
        n_walkers: Walkers in the maze (the role's size).
        greedy_moves: Gives ``int[walkers, S]``, each walker's greedy move in each state (the
            population's greedy policy evaluated by the model; called at most once, and only
            for learners without Q tables).
        groups: ``population.bound_groups``: ``(name, role, learner, slots or None)``.
        max_agents: Walkers recorded per group (the first ones).

    Returns:
        ``{"policy": …}`` with one row per recorded walker and state — ``group, agent, state,
        row, col, cell, greedy_action, value, grid_rows, grid_cols`` — and, when some learner
        has a model, ``{"learned_model": …}``: ``group, agent, state, action, next_state,
        reward, terminated, visits, row, col, next_row, next_col``.

    """
    lines = layout_text.splitlines()
    cell = np.array([lines[r][c] for r, c in mdp.cells])
    policies, models = [], []
    evaluated: list[np.ndarray] = []
    for name, _role, learner, index in groups:
        if not learner.learns:
            continue
        slots = np.arange(n_walkers) if index is None else np.asarray(index)
        members = np.arange(min(len(slots), max_agents))
        if isinstance(learner, TabularValues):
            tables = np.array([learner.table_of(int(i)) for i in members], dtype=np.int64)
            q = learner.q_values()[tables]  # the recorded walkers' tables only: cheap
            values, moves = q.max(axis=2), q.argmax(axis=2)
            # A state whose row never moved from its start holds no learned value: NaN, so
            # that an unvisited cell is drawn as unlearned, not in the colour of its Q₀.
            unlearned = (q == learner.initial_q_values()[tables]).all(axis=2)
            values = np.where(unlearned, np.nan, values)
        else:
            tables = members
            values = np.full((members.size, mdp.n_states), np.nan)
            moves = _evaluated_once(greedy_moves, evaluated)[slots[members]]
        policies.append(_policy_frame(name, slots[members], moves, values, mdp, cell))
        if isinstance(learner, LearnedModel):
            models += _model_frames(name, learner, slots, tables)
    out: dict[str, pd.DataFrame] = {}
    if policies:
        out["policy"] = pd.concat(policies, ignore_index=True)
    if models:
        out["learned_model"] = _with_cells(pd.concat(models, ignore_index=True), mdp)
    return out


def _policy_frame(
    name: str,
    agents: np.ndarray,
    moves: np.ndarray,
    values: np.ndarray,
    mdp: MazeMDP,
    cell: np.ndarray,
) -> pd.DataFrame:
    """One row per (recorded walker, state): its greedy move and value there."""
    k, n_states = agents.size, mdp.n_states
    return pd.DataFrame(
        {
            "group": np.full(k * n_states, name, dtype=object),
            "agent": np.repeat(agents, n_states).astype(np.int64),
            "state": np.tile(np.arange(n_states, dtype=np.int64), k),
            "row": np.tile(mdp.cells[:, 0], k),
            "col": np.tile(mdp.cells[:, 1], k),
            "cell": np.tile(cell, k),
            "greedy_action": moves.ravel().astype(np.int64),
            "value": values.ravel(),
            "grid_rows": np.int64(mdp.shape[0]),
            "grid_cols": np.int64(mdp.shape[1]),
        }
    )


def _model_frames(
    name: str, learner: LearnedModel, slots: np.ndarray, tables: np.ndarray
) -> list[pd.DataFrame]:
    """The recorded walkers' learned models; a model shared by several is recorded once."""
    frames, seen = [], set()
    for i, table in enumerate(tables.tolist()):
        if table in seen:
            continue
        seen.add(table)
        frame = learner.learned_model(i)
        frame.insert(0, "agent", np.int64(slots[i]))
        frame.insert(0, "group", name)
        frames.append(frame)
    return frames


def _with_cells(frame: pd.DataFrame, mdp: MazeMDP) -> pd.DataFrame:
    """Add the grid cell of ``state`` and ``next_state`` (−1 where the state is unknown)."""
    for prefix, column in (("", "state"), ("next_", "next_state")):
        known = frame[column].to_numpy() >= 0
        where = np.where(known, frame[column].to_numpy(), 0)
        frame[f"{prefix}row"] = np.where(known, mdp.cells[where, 0], -1)
        frame[f"{prefix}col"] = np.where(known, mdp.cells[where, 1], -1)
    return frame


def _evaluated_once(greedy_moves: Callable[[], np.ndarray], memo: list[np.ndarray]) -> np.ndarray:
    """Every walker's greedy move in every state, evaluated once for all groups."""
    if not memo:
        memo.append(np.asarray(greedy_moves()))
    return memo[0]
