"""REINFORCE's experience: every agent's trajectory, cut into finished episodes with returns.

Monte-Carlo policy gradient learns from complete episodes, and the agents of a group finish
theirs at different steps. :class:`TrajectoryStore` keeps one column per agent in preallocated
arrays ``[window, n]`` (observations, actions, rewards), one row per step, and marks the row
where an episode ends; no step loops over agents. Before an update (or when a column is full)
the returns of every column are computed in one backward pass
(:func:`~socialrl.learners.returns.discounted_returns`), the finished episodes' steps move to
the update's batch (:class:`EpisodeSteps`), and each agent's unfinished episode moves to the
top of its column.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from socialrl.learners.batches import Transitions
from socialrl.learners.returns import discounted_returns

__all__ = ["EpisodeSteps", "TrajectoryStore"]


class EpisodeSteps(NamedTuple):
    """The steps of finished episodes, each with its return: one REINFORCE update's data.

    Attributes:
        obs: What the agent saw, ``[m, *obs_shape]``.
        actions: What it did, ``int64[m]``.
        returns: ``G_t``, the discounted return from the step to its episode's end (plus the
            value where the episode was cut), ``float64[m]``.
        agents: The slot of the agent in its group, ``int64[m]`` (independent networks learn
            only from their own agent's steps).

    """

    obs: np.ndarray
    actions: np.ndarray
    returns: np.ndarray
    agents: np.ndarray


class TrajectoryStore:
    """Columns of steps per agent, cut into finished episodes (see the module docstring).

    Args:
        window: Rows per column: the longest trajectory kept, in steps.
        n_agents: Columns.
        obs_shape: One observation's shape.
        obs_dtype: The dtype observations are stored in.

    Attributes:
        row: Per agent, the next row to write.
        start: Per agent, the first row of its unfinished episode.
        pending: Episodes finished since the last :meth:`take`.

    """

    def __init__(
        self, window: int, n_agents: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype[Any]
    ) -> None:
        self.window, self._obs_dtype = window, obs_dtype
        self._agents = np.arange(n_agents, dtype=np.int64)
        self.row = np.zeros(n_agents, dtype=np.int64)
        self.start = np.zeros(n_agents, dtype=np.int64)
        self._obs = np.zeros((window, n_agents, *obs_shape), dtype=obs_dtype)
        self._actions = np.zeros((window, n_agents), dtype=np.int64)
        self._rewards = np.zeros((window, n_agents))
        self._ends = np.zeros((window, n_agents), dtype=bool)
        self._end_values = np.zeros((window, n_agents))
        self._batch: list[EpisodeSteps] = []
        self.pending = 0

    def append(self, step: Transitions) -> None:
        """Write the step of every valid agent into the next row of its column."""
        if step.valid.all():
            rows, who = self.row, self._agents
            obs, actions, reward = step.obs, step.actions, step.reward
        else:
            active = step.valid
            rows, who = self.row[active], self._agents[active]
            obs, actions, reward = step.obs[active], step.actions[active], step.reward[active]
        self._obs[rows, who] = obs
        self._actions[rows, who] = actions
        self._rewards[rows, who] = reward
        self.row[who] += 1

    def at_window(self) -> np.ndarray:
        """Agents whose unfinished episode has reached ``window`` steps (it must be cut)."""
        return np.asarray(self.row - self.start >= self.window)

    def full(self) -> bool:
        """Whether some column is full (finished episodes must be collected to make room)."""
        return bool(self.row.max() >= self.window)

    def end(self, k: np.ndarray, end_values: np.ndarray) -> None:
        """End the episodes of agents ``k`` at their last written row.

        ``end_values[i]`` is what agent ``k[i]``'s return continues with after the end: 0 at a
        termination, an estimate of the final observation's value at a truncation.
        """
        last = self.row[k] - 1
        self._ends[last, k] = True
        self._end_values[last, k] = end_values
        self.start[k] = self.row[k]
        self.pending += k.size

    def collect(self, gamma: float) -> None:
        """Move the finished episodes' steps, with their returns, into the update's batch.

        One backward pass over the written rows gives every return; rows above an agent's
        unfinished episode are finished steps, and the unfinished episode then moves up to
        row 0 of its column.
        """
        height = int(self.row.max())
        ends = self._ends[:height]
        returns = discounted_returns(
            self._rewards[:height], ends, gamma, end_values=self._end_values[:height]
        )
        depth = np.arange(height)[:, None]
        finished = depth < self.start[None, :]
        if finished.any():
            self._batch.append(
                EpisodeSteps(
                    obs=self._obs[:height][finished],
                    actions=self._actions[:height][finished],
                    returns=returns[finished],
                    agents=np.broadcast_to(self._agents, finished.shape)[finished],
                )
            )
        source = np.minimum(depth + self.start[None, :], max(height - 1, 0))
        columns = self._agents[None, :]
        self._obs[:height] = self._obs[source, columns]
        self._actions[:height] = self._actions[source, columns]
        self._rewards[:height] = self._rewards[source, columns]
        self._ends[:height] = False  # unfinished episodes have no ends
        self._end_values[:height] = 0.0
        self.row -= self.start
        self.start[:] = 0

    def batch(self) -> EpisodeSteps:
        """The collected steps waiting for the next update, concatenated."""
        if not self._batch:
            obs_shape = self._obs.shape[2:]
            return EpisodeSteps(
                obs=np.zeros((0, *obs_shape), dtype=self._obs_dtype),
                actions=np.zeros(0, dtype=np.int64),
                returns=np.zeros(0),
                agents=np.zeros(0, dtype=np.int64),
            )
        return EpisodeSteps(*(np.concatenate(parts) for parts in zip(*self._batch, strict=True)))

    def take(self) -> EpisodeSteps:
        """:meth:`batch`, then forget it (the update has used it)."""
        data = self.batch()
        self._batch = []
        self.pending = 0
        return data

    def state_dict(self) -> dict[str, np.ndarray]:
        """Columns, episode marks and the collected batch, for a checkpoint."""
        height = int(self.row.max(initial=0))
        return {
            "traj_row": self.row.copy(),
            "traj_start": self.start.copy(),
            "traj_obs": self._obs[:height].copy(),
            "traj_actions": self._actions[:height].copy(),
            "traj_rewards": self._rewards[:height].copy(),
            "traj_ends": self._ends[:height].copy(),
            "traj_end_values": self._end_values[:height].copy(),
            "pending": np.array(self.pending),
            **{f"batch_{key}": value for key, value in self.batch()._asdict().items()},
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` into this (empty) store."""
        row = np.asarray(state["traj_row"], dtype=np.int64)
        height = int(row.max(initial=0))
        if height > self.window:
            raise ValueError(
                f"checkpoint holds {height} trajectory steps, more than window {self.window}"
            )
        self.row[:] = row
        self.start[:] = state["traj_start"]
        self._obs[:height] = state["traj_obs"]
        self._actions[:height] = state["traj_actions"]
        self._rewards[:height] = state["traj_rewards"]
        self._ends[:height] = state["traj_ends"]
        self._end_values[:height] = state["traj_end_values"]
        self.pending = int(state["pending"])
        batch = EpisodeSteps(
            obs=np.array(state["batch_obs"]).astype(self._obs_dtype),
            actions=np.array(state["batch_actions"]),
            returns=np.array(state["batch_returns"]),
            agents=np.asarray(state["batch_agents"], dtype=np.int64),
        )
        self._batch = [batch] if batch.agents.size else []
