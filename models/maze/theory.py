"""What an optimal walker does: the maze as an MDP, shortest paths (BFS), value iteration.

All of it works on a :class:`MazeMDP`, the maze written as a finite MDP whose states are the
open (non-wall) cells, numbered row by row: a deterministic successor table
``next_state[s, a]``, the reward for entering each state, which states end an episode, and where
moves slip. :func:`grid_mdp` reads the MDP off a Mesa grid (the model's own,
:attr:`socialrl_models.maze.model.MazeModel.mdp`), so the theory always describes the world the
walkers actually live in; :func:`maze_mdp` does the same for a layout alone (the app rebuilds a
finished run's maze from its tables with
:func:`~socialrl_models.maze.layouts.layout_from_policy` and solves it with
:func:`optimal_policy`).

These are the references that learners are tested against: a learned greedy policy is optimal
when its path from the start is as long as the BFS shortest path.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalVonNeumannGrid

from .layouts import Layout, get_layout

__all__ = [
    "ACTIONS",
    "MazeMDP",
    "greedy_path",
    "greedy_path_lengths",
    "grid_mdp",
    "maze_mdp",
    "optimal_policy",
    "shortest_path_lengths",
    "value_iteration",
]

#: Action index → (Δrow, Δcol): up, down, left, right.
ACTIONS: tuple[tuple[int, int], ...] = ((-1, 0), (1, 0), (0, -1), (0, 1))
ACTION_NAMES: tuple[str, ...] = ("up", "down", "left", "right")


@dataclass(frozen=True, eq=False)
class MazeMDP:
    """A maze as a finite MDP.

    Attributes:
        shape: ``(rows, cols)`` of the grid.
        cells: ``int64[S, 2]``, the ``(row, col)`` of each state (open cells, row by row).
        state_of: ``int64[rows, cols]``, the state of each cell (−1 on walls).
        next_state: ``int64[S, 4]``, the state an intended move leads to (walls and the border
            leave the walker in place).
        entry_reward: ``float64[S]``, reward for entering a cell on top of ``step_reward``
            (the goal reward on goals, the trap reward on traps, else 0).
        step_reward: Reward of every move.
        terminal: ``bool[S]``, entering ends the episode (goals and traps).
        goal: ``bool[S]``, the goal cells.
        slip: ``float64[S]``, probability that the intended move is replaced by a uniformly
            random one (non-zero only on slippery cells).
        start: The start state.

    """

    shape: tuple[int, int]
    cells: np.ndarray
    state_of: np.ndarray
    next_state: np.ndarray
    entry_reward: np.ndarray
    step_reward: float
    terminal: np.ndarray
    goal: np.ndarray
    slip: np.ndarray
    start: int

    @property
    def n_states(self) -> int:
        """Number of states (open cells)."""
        return int(self.next_state.shape[0])

    def reward(self) -> np.ndarray:
        """``R[s, a]`` for the intended move (the slip-free reward table)."""
        return self.step_reward + self.entry_reward[self.next_state]

    def transition_probabilities(self) -> np.ndarray:
        """``P[s, a, s']`` including slips (dense; fine for mazes up to a few thousand cells)."""
        n, n_actions = self.next_state.shape
        p = np.zeros((n, n_actions, n))
        rows = np.arange(n)[:, None]
        np.add.at(
            p, (rows, np.arange(n_actions)[None, :], self.next_state), 1.0 - self.slip[:, None]
        )
        for b in range(n_actions):  # a slip replaces the move by action b with prob slip/4
            np.add.at(
                p,
                (rows, np.arange(n_actions)[None, :], self.next_state[:, [b] * n_actions]),
                self.slip[:, None] / n_actions,
            )
        return p


def grid_mdp(
    layout: Layout,
    grid: OrthogonalVonNeumannGrid,
    step_reward: float,
    goal_reward: float,
    trap_reward: float,
    slip: float,
) -> MazeMDP:
    """Write a maze's grid as an MDP over its open cells; moves follow the grid's connections.

    States are the open cells numbered row by row, so a walker's Q table has no rows for
    walls it can never stand on.
    """
    walls = layout.walls
    cells = np.argwhere(~walls).astype(np.int64)  # row-major order
    state_of = np.full(walls.shape, -1, dtype=np.int64)
    state_of[cells[:, 0], cells[:, 1]] = np.arange(len(cells))
    next_state = np.repeat(np.arange(len(cells), dtype=np.int64)[:, None], len(ACTIONS), 1)
    for s, (r, c) in enumerate(cells):
        connections = grid[(int(r), int(c))].connections
        for a, offset in enumerate(ACTIONS):
            other = connections.get(offset)
            if other is not None and state_of[other.coordinate] >= 0:
                next_state[s, a] = state_of[other.coordinate]
    on_open = (cells[:, 0], cells[:, 1])
    goal, trap = layout.goals[on_open], layout.traps[on_open]
    entry = np.where(goal, goal_reward, 0.0) + np.where(trap, trap_reward, 0.0)
    return MazeMDP(
        shape=layout.shape,
        cells=cells,
        state_of=state_of,
        next_state=next_state,
        entry_reward=entry.astype(np.float64),
        step_reward=float(step_reward),
        terminal=goal | trap,
        goal=goal,
        slip=np.where(layout.slippery[on_open], float(slip), 0.0),
        start=int(state_of[layout.start]),
    )


def maze_mdp(
    layout: str | Layout,
    step_reward: float = -1.0,
    goal_reward: float = 0.0,
    trap_reward: float = -100.0,
    slip: float = 0.0,
) -> MazeMDP:
    """The MDP of a layout with the model's reward parameters (the model's defaults).

    Read off the same Mesa grid the model builds, so the theory describes exactly the world
    the walkers lived in; ``"random:ROWSxCOLS"`` draws the maze of seed 0.
    """
    maze = get_layout(layout, np.random.default_rng(0))
    grid = OrthogonalVonNeumannGrid(maze.shape, torus=False, random=random.Random(0))
    return grid_mdp(maze, grid, step_reward, goal_reward, trap_reward, slip)


def shortest_path_lengths(mdp: MazeMDP) -> np.ndarray:
    """Breadth-first search backwards from the goals over intended (slip-free) moves.

    Returns:
        ``int64[S]``: the fewest moves from each state to a goal; 0 on goals; −1 where no goal
        can be reached (traps, sealed-off cells).

    """
    dist = np.full(mdp.n_states, -1, dtype=np.int64)
    dist[mdp.goal] = 0
    frontier = mdp.goal.copy()
    passable = ~mdp.terminal
    d = 0
    while frontier.any():
        d += 1
        reaches = frontier[mdp.next_state].any(axis=1)
        frontier = reaches & passable & (dist < 0)
        dist[frontier] = d
    return dist


def value_iteration(
    mdp: MazeMDP, gamma: float = 0.95, tol: float = 1e-10, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal state values and a greedy optimal policy by value iteration.

    ``V(s) = max_a Σ_s' P(s'|s,a) [r(s,a,s') + γ V(s') (1 − terminal(s'))]``, iterated to a
    fixed point. Terminal cells (goals, traps) have value 0: the episode is over there.

    Args:
        mdp: The maze.
        gamma: Discount factor in (0, 1].
        tol: Stop when the largest change of a value is below this.
        max_iter: Safety cap (with γ = 1 and an unreachable goal, values diverge).

    Returns:
        ``(V, policy)``: ``float64[S]`` values and ``int64[S]`` greedy actions (ties go to the
        lowest action index). Terminal states get value 0 and action 0.

    """
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma must lie in (0, 1], got {gamma}")
    p = mdp.transition_probabilities()  # [S, A, S']
    r_next = mdp.step_reward + mdp.entry_reward  # reward for landing in s'
    expected_r = p @ r_next  # [S, A]
    cont = np.where(mdp.terminal, 0.0, 1.0)
    v = np.zeros(mdp.n_states)
    live = ~mdp.terminal
    for _ in range(max_iter):
        q = expected_r + gamma * (p @ (cont * v))
        v_new = np.where(live, q.max(axis=1), 0.0)
        if np.max(np.abs(v_new - v)) < tol:
            v = v_new
            break
        v = v_new
    q = expected_r + gamma * (p @ (cont * v))
    policy = np.where(live, q.argmax(axis=1), 0)
    return v, policy


def greedy_path_lengths(
    mdp: MazeMDP,
    policy: np.ndarray | Callable[[np.ndarray], np.ndarray],
    starts: np.ndarray | None = None,
    n_walkers: int | None = None,
) -> np.ndarray:
    """Follow deterministic policies from start states (slip-free) and count moves to a goal.

    All walkers are rolled out together, one vectorized move per step, for at most ``S``
    moves (a longer path must revisit a cell, i.e. loop forever).

    Args:
        mdp: The maze.
        policy: ``int[S]`` (one policy), ``int[n, S]`` (one per walker), or a callable mapping
            the walkers' current cells ``int[n]`` to actions ``int[n]`` (e.g. a learner's
            ``greedy``).
        starts: ``int[n]`` start cells; default: the maze's start for every walker.
        n_walkers: Number of walkers when neither ``starts`` nor a 2-D policy fixes it.

    Returns:
        ``float64[n]``: moves to reach a goal, NaN where the walker loops or falls in a trap.

    """
    if starts is None:
        if n_walkers is None:
            n_walkers = (
                policy.shape[0] if isinstance(policy, np.ndarray) and policy.ndim == 2 else 1
            )
        starts = np.full(n_walkers, mdp.start, dtype=np.int64)
    pos = np.asarray(starts, dtype=np.int64).copy()
    n = pos.shape[0]
    rows = np.arange(n)
    if callable(policy):
        act = policy
    elif policy.ndim == 1:
        table = np.asarray(policy)
        act = lambda s: table[s]  # noqa: E731
    else:
        table = np.asarray(policy)
        act = lambda s: table[rows, s]  # noqa: E731
    length = np.full(n, np.nan)
    length[mdp.goal[pos]] = 0.0
    running = ~mdp.terminal[pos]
    for t in range(1, mdp.n_states + 1):
        if not running.any():
            break
        nxt = mdp.next_state[pos, np.asarray(act(pos), dtype=np.int64)]
        pos = np.where(running, nxt, pos)
        arrived = running & mdp.goal[pos]
        length[arrived] = t
        running &= ~mdp.terminal[pos]
    return length


def optimal_policy(mdp: MazeMDP, gamma: float = 0.95) -> pd.DataFrame:
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


def greedy_path(mdp: MazeMDP, policy: np.ndarray, start: int | None = None) -> list[int]:
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
