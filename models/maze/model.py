"""The maze: walkers looking for the goal on a Mesa grid.

Description:
    ``n_walkers`` walkers share one maze drawn on a ``mesa.discrete_space`` grid
    (``OrthogonalVonNeumannGrid``; walls, goals, traps and ice are property layers). Each
    walker starts on ``S``, moves up/down/left/right, and its episode ends when it enters a goal
    (or a trap); it then restarts at ``S``. By default walkers are independent (they may share
    cells); with ``blocking=True`` a walker cannot enter a cell another walker occupies.

Action Space:
    ``Discrete(4)`` per walker: 0 up, 1 down, 2 left, 3 right. Moving into a wall or off the
    grid leaves the walker in place.

Observation Space:
    ``Discrete(S)`` per walker: its cell (the lecture's "state = the agent's location"), where
    the ``S`` states are the open cells numbered row by row; ``model.mdp.cells[s]`` is the
    ``(row, col)`` of state ``s`` and ``model.mdp.state_of[row, col]`` the way back.

Rewards:
    ``step_reward`` for every move (default −1: the lecture's maze, where the best policy is
    the shortest path), plus ``goal_reward`` on entering a goal and ``trap_reward`` on entering
    a trap. Sutton & Barto's Dyna maze uses ``step_reward=0, goal_reward=1``.

Episode End:
    Termination: the walker entered a goal or a trap. Truncation: its episode reached
    ``max_episode_steps`` moves (a time limit is truncation, never termination).

Arguments:
    See :class:`MazeModel`.

"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalVonNeumannGrid

from socialrl.contract import RoleStep, episode_limit
from socialrl.single_role import SingleRole

from .agents import Walker
from .layouts import Layout, LayoutError, get_layout
from .learned import learned_tables
from .theory import ACTIONS, greedy_path_lengths, grid_mdp, shortest_path_lengths

__all__ = ["MazeModel"]

ROLE = "walker"


class MazeModel(SingleRole[Walker], mesa.Model):
    """A maze with a population of walkers (role ``walker``).

    Args:
        layout: A built-in name (``"dyna"``, ``"lecture"``, ``"open_room"``, ``"cliff"``,
            ``"frozen"``), ``"random:ROWSxCOLS"`` for a seeded perfect maze, an ASCII drawing,
            or a :class:`~socialrl_models.maze.layouts.Layout`.
        n_walkers: Number of walkers (≥ 1).
        step_reward: Reward of every move.
        goal_reward: Extra reward on entering a goal.
        trap_reward: Extra reward on entering a trap.
        slip: Probability that a move from a slippery (``~``) cell is replaced by a random one.
        max_episode_steps: Moves after which an episode is truncated (None: no limit).
        blocking: Walkers may not enter a cell occupied by another walker (start, goals and traps
            hold any number). Contested moves are settled at random; a blocked walker stays.
        observation: ``"cell"`` (a state index, for tables) or ``"grid"`` (an image
            ``[3, rows, cols]``: wall, goal and own-position channels, for CNNs).
        autoreset: Finished walkers restart at ``S`` within the step (see
            :mod:`socialrl.contract`); with False they stay finished.
        rng: Seed or ``numpy.random.Generator``; the model's only source of randomness.

    """

    render_modes: ClassVar[list[str]] = ["ansi"]

    def __init__(
        self,
        layout: str | Layout = "lecture",
        n_walkers: int = 1,
        step_reward: float = -1.0,
        goal_reward: float = 0.0,
        trap_reward: float = -100.0,
        slip: float = 0.0,
        max_episode_steps: int | None = None,
        blocking: bool = False,
        autoreset: bool = True,
        observation: str = "cell",
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        _check_params(n_walkers, slip, max_episode_steps)
        self.layout = get_layout(layout, self.rng)
        self.rows, self.cols = self.layout.shape
        self.n_walkers = int(n_walkers)
        self.blocking = bool(blocking)
        self.autoreset = bool(autoreset)
        self.max_episode_steps = max_episode_steps
        if observation not in ("cell", "grid"):
            raise ValueError(f"observation must be 'cell' or 'grid', got {observation!r}")
        self.observation = observation

        self.grid = self._draw_grid()
        self.mdp = grid_mdp(self.layout, self.grid, step_reward, goal_reward, trap_reward, slip)
        self.shortest = shortest_path_lengths(self.mdp)
        if self.shortest[self.mdp.start] < 0:
            raise LayoutError(f"layout '{self.layout.name}': {_unreachable(self.layout)}")
        #: Fewest moves from the start to a goal (the BFS optimum learners are measured against).
        self.optimal_path_length = int(self.shortest[self.mdp.start])

        n = self.n_walkers
        self.positions = np.full(n, self.mdp.start, dtype=np.int64)
        self.episode_steps = np.zeros(n, dtype=np.int64)
        self.episodes = np.zeros(n, dtype=np.int64)
        self._active = np.ones(n, dtype=bool)
        self._actions = np.zeros(n, dtype=np.int64)
        self._exempt = self.mdp.terminal.copy()
        self._exempt[self.mdp.start] = True
        self._slippery_any = bool((self.mdp.slip > 0).any())
        # Flat lookup tables for the hot step (1-D `take` beats 2-D fancy indexing).
        self._successor = self.mdp.next_state.ravel()
        self._arrival_reward = self.mdp.step_reward + self.mdp.entry_reward
        self._never = np.zeros(n, dtype=bool)
        self._never.flags.writeable = False  # shared by every step's outcome: must stay False
        self.period = 0  # our own step counter (Mesa's `steps` differs across versions)

        self._static: np.ndarray | None = None  # the image's wall and goal channels
        self.walkers = [Walker(self, slot) for slot in range(n)]
        self.declare_role(
            ROLE, self.walkers, self._observation_space(), gym.spaces.Discrete(len(ACTIONS))
        )

    def _draw_grid(self) -> OrthogonalVonNeumannGrid:
        """The Mesa grid of the layout; walls, goals, traps and ice are property layers."""
        grid = OrthogonalVonNeumannGrid(self.layout.shape, torus=False, random=self.random)
        for name in ("wall", "goal", "trap", "slippery"):
            grid.create_property_layer(name, default_value=False, dtype=bool)
        layers = grid._mesa_property_layers  # public accessor differs across Mesa versions
        layers["wall"].data[:] = self.layout.walls
        layers["goal"].data[:] = self.layout.goals
        layers["trap"].data[:] = self.layout.traps
        layers["slippery"].data[:] = self.layout.slippery
        return grid

    # ------------------------------------------------------------------ contract
    def observe(self, role: str = ROLE) -> np.ndarray:
        """Each walker's observation: its state index, or its grid image."""
        self._check_role(role)
        return self._as_observation(self.positions)

    def _observation_space(self) -> gym.Space[Any]:
        if self.observation == "cell":
            return gym.spaces.Discrete(self.mdp.n_states)
        return gym.spaces.Box(0.0, 1.0, (3, self.rows, self.cols), dtype=np.float32)

    def _as_observation(self, states: np.ndarray) -> np.ndarray:
        """States as observations: themselves, or images ``[n, 3, rows, cols]``.

        Channels: walls, goals, and the walker's own cell (the Atari DQN saw the screen;
        a maze walker sees the map and where it stands).
        """
        if self.observation == "cell":
            return states
        n = states.shape[0]
        if self._static is None:
            self._static = np.stack([self.layout.walls, self.layout.goals]).astype(np.float32)
        images = np.zeros((n, 3, self.rows, self.cols), dtype=np.float32)
        images[:, :2] = self._static
        rows, cols = self.mdp.cells[states].T
        images[np.arange(n), 2, rows, cols] = 1.0
        return images

    def active(self, role: str = ROLE) -> np.ndarray:
        """Walkers inside an episode."""
        self._check_role(role)
        return self._active

    def step(self) -> None:
        """Move every walker once: a handful of array operations, whatever the population."""
        mdp = self.mdp
        pos = self.positions
        target = self._successor.take(pos * len(ACTIONS) + self._actions)
        if self._slippery_any:
            target = self._slip(pos, target)
        if self.blocking:
            target = self._resolve_blocking(pos, target)
        if not self.autoreset:
            target = np.where(self._active, target, pos)
        reward = self._arrival_reward.take(target)
        terminated = mdp.terminal.take(target)
        self.episode_steps = self.episode_steps + 1
        if self.max_episode_steps is None:
            truncated = self._never
        else:
            truncated = (self.episode_steps >= self.max_episode_steps) & ~terminated
        if not self.autoreset:
            reward = np.where(self._active, reward, 0.0)
            terminated &= self._active
            truncated = truncated & self._active
        done = terminated if truncated is self._never else terminated | truncated
        obs = target
        if done.any():
            self.episodes = self.episodes + done
            if self.autoreset:
                obs = np.where(done, mdp.start, target)
                self.episode_steps = np.where(done, 0, self.episode_steps)
            else:
                self._active = self._active & ~done
        self.positions = obs
        if self.observation == "cell":
            self._outcome = RoleStep(obs, reward, terminated, truncated, target)
        else:
            self._outcome = RoleStep(
                self._as_observation(obs),
                reward,
                terminated,
                truncated,
                self._as_observation(target),
            )
        self.period += 1

    # ------------------------------------------------------------------ dynamics details
    def _slip(self, pos: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Replace moves from slippery cells by uniformly random ones with probability slip."""
        slipped = self.rng.random(pos.shape[0]) < self.mdp.slip[pos]
        if slipped.any():
            idx = np.flatnonzero(slipped)
            random_moves = self.rng.integers(len(ACTIONS), size=idx.size)
            target = target.copy()
            target[idx] = self.mdp.next_state[pos[idx], random_moves]
        return target

    def _resolve_blocking(self, pos: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Cancel moves into occupied cells; one random winner per contested free cell.

        A cell counts as occupied if a walker stands on it at the start of the step, so no
        chain of moves can put two walkers on one (non-exempt) cell.
        """
        moving = (target != pos) & ~self._exempt[target]
        occupied = np.bincount(pos, minlength=self.mdp.n_states) > 0
        blocked = moving & occupied[target]
        candidates = np.flatnonzero(moving & ~blocked)
        if candidates.size:
            order = candidates[self.rng.permutation(candidates.size)]
            _, first = np.unique(target[order], return_index=True)
            blocked[candidates] = True
            blocked[order[first]] = False
        return np.where(blocked, pos, target)

    # ------------------------------------------------------------------ reporters
    def metrics(self) -> dict[str, float]:
        """Model reporters: mean BFS distance of walkers to the goal, walkers in an episode."""
        dist = self.shortest[self.positions]
        reachable = dist >= 0
        return {
            "mean_distance_to_goal": float(dist[reachable].mean()) if reachable.any() else np.nan,
            "walkers_active": float(self._active.sum()),
        }

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Per-walker reporters: cell, episodes finished, moves in the current episode."""
        self._check_role(role)
        cells = self.mdp.cells[self.positions]
        return {
            "row": cells[:, 0],
            "col": cells[:, 1],
            "episodes": self.episodes,
            "episode_steps": self.episode_steps,
        }

    def policy_report(self, role: str, greedy: Any) -> dict[str, np.ndarray]:
        """Evaluate walkers' greedy policies: path length from the start, and if it is optimal.

        Args:
            role: ``"walker"``.
            greedy: Maps walkers' cells ``int[n]`` to their greedy moves ``int[n]``.

        """
        self._check_role(role)
        length = greedy_path_lengths(
            self.mdp, lambda states: greedy(self._as_observation(states)), n_walkers=self.n_walkers
        )
        return {
            "greedy_path_length": length,
            "greedy_optimal": length == self.optimal_path_length,
        }

    def final_tables(self, population: Any) -> dict[str, pd.DataFrame]:
        """What the walkers learned, as the run's extra tables (``policy``, ``learned_model``).

        The app's maze view draws them: every recorded walker's greedy move and value in every
        cell, and Dyna-Q's model of the maze (see
        :func:`socialrl_models.maze.learned.learned_tables`).
        The greedy policy is evaluated in every state through the population, so any learner
        gets its arrows (tabular learners read theirs from their Q tables instead; the others
        cost ``S`` greedy calls, like one policy report).
        """

        def greedy_moves() -> np.ndarray:
            greedy = population.greedy_policy(ROLE)
            moves = np.empty((self.n_walkers, self.mdp.n_states), dtype=np.int64)
            for s in range(self.mdp.n_states):
                moves[:, s] = greedy(self._as_observation(np.full(self.n_walkers, s)))
            return moves

        return learned_tables(
            self.layout.to_text(), self.mdp, self.n_walkers, greedy_moves, population.bound_groups
        )

    def render_text(self) -> str:
        """The maze as ASCII with walkers drawn as ``W`` (``*`` where several stand)."""
        grid = np.array([list(line) for line in self.layout.to_text().splitlines()])
        counts = np.bincount(self.positions, minlength=self.mdp.n_states)
        for marker, where in (("W", counts == 1), ("*", counts > 1)):
            rows, cols = self.mdp.cells[where].T
            grid[rows, cols] = marker
        return "\n".join("".join(row) for row in grid)


def _unreachable(layout: Layout) -> str:
    r, c = layout.start
    return f"no path from the start (line {r + 1}, column {c + 1}) to any goal"


def _check_params(n_walkers: int, slip: float, max_episode_steps: int | None) -> None:
    if int(n_walkers) != n_walkers or n_walkers < 1:
        raise ValueError(f"n_walkers must be a positive integer, got {n_walkers!r}")
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip must lie in [0, 1], got {slip!r}")
    episode_limit(max_episode_steps)
