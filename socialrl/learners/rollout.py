"""An n-step rollout of a group: the last ``n_steps`` steps of every agent, for actor-critic.

Synchronous actor-critic (A2C) collects a fixed number of steps from every environment slot,
then updates once on all of them. In the lab every agent is one slot, so a rollout is one
:class:`~socialrl.learners.batches.Transitions` of arrays ``[n_steps, n_agents, ...]``,
preallocated and written one step (all agents) at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from socialrl.learners.batches import Transitions

__all__ = ["Rollout"]


class Rollout:
    """The steps of a group since the last update, up to ``n_steps``.

    Args:
        n_steps: Steps per rollout.
        n_agents: Agents writing each step.
        obs_shape: One observation's shape.
        obs_dtype: The dtype observations are stored in.

    Attributes:
        data: The steps, each field ``[n_steps, n_agents, ...]``; rows ``[0, t)`` are written.
        t: Steps written so far.

    """

    def __init__(
        self, n_steps: int, n_agents: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype[Any]
    ) -> None:
        shape = (n_steps, n_agents)
        obs = np.zeros((*shape, *obs_shape), dtype=obs_dtype)
        self.data = Transitions(
            obs=obs,
            actions=np.zeros(shape, dtype=np.int64),
            reward=np.zeros(shape),
            next_obs=np.zeros_like(obs),
            terminated=np.zeros(shape, dtype=bool),
            truncated=np.zeros(shape, dtype=bool),
            valid=np.zeros(shape, dtype=bool),
        )
        self.t = 0

    @property
    def n_steps(self) -> int:
        """Steps per rollout."""
        return int(self.data.reward.shape[0])

    def add(self, step: Transitions) -> None:
        """Write one step of every agent (fields ``[n_agents, ...]``) into the next row."""
        for stored, value in zip(self.data, step, strict=True):
            stored[self.t] = value
        self.t += 1

    def full(self) -> bool:
        """Whether all ``n_steps`` rows are written (time to update)."""
        return self.t == self.n_steps

    def clear(self) -> None:
        """Start the next rollout (rows are overwritten as it is written)."""
        self.t = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        """The written rows, for a checkpoint."""
        state = {"rollout_step": np.array(self.t)}
        for key, stored in self.data._asdict().items():
            state[f"rollout_{key}"] = stored[: self.t].copy()
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict`."""
        t = int(state["rollout_step"])
        if t >= self.n_steps:
            raise ValueError(f"checkpoint rollout step {t} does not fit n_steps {self.n_steps}")
        for key, stored in self.data._asdict().items():
            stored[:t] = state[f"rollout_{key}"]
        self.t = t
