"""Experience replay for a group of agents (Lin 1992; Mnih et al. 2015).

One preallocated ring buffer holds the last ``capacity`` steps of every agent of a group:
arrays ``[capacity, n_agents, ...]``, written one step (all agents) at a time with a single
array assignment per field. Observations are stored raw (a state index is 8 bytes, its one-hot
encoding would be hundreds) and encoded only when a minibatch is drawn.

Sampling draws from the learner's own generator: uniformly over all stored transitions of the
group (a shared network learns from everyone's experience), or per agent (independent networks:
each agent's minibatch comes from its own experience only). Either way only *valid* steps are
drawn — steps in which an agent was inactive (``mask`` False) hold no experience of it, and
learning from them would teach it about moves it never made.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.learners.batches import Transitions

__all__ = ["ReplayBuffer"]


class ReplayBuffer:
    """A ring buffer of :class:`~socialrl.learners.batches.Transitions` for ``n_agents`` agents.

    Args:
        capacity: Steps kept per agent (the oldest are overwritten).
        n_agents: Agents writing each step.
        observation_space: One agent's observation space (fixes shape and dtype).

    Attributes:
        data: The stored transitions, each field ``[capacity, n_agents, ...]``; rows
            ``[0, size)`` are filled, row ``pos`` is written next.

    """

    def __init__(self, capacity: int, n_agents: int, observation_space: gym.Space[Any]) -> None:
        if int(capacity) != capacity or capacity < 1:
            raise ValueError(f"buffer_size must be a positive integer, got {capacity!r}")
        shape = observation_space.shape or ()
        dtype = observation_space.dtype or np.float32
        self.capacity, self.n_agents = int(capacity), int(n_agents)
        steps = (self.capacity, self.n_agents)
        obs = np.zeros((*steps, *shape), dtype=dtype)
        self.data = Transitions(
            obs=obs,
            actions=np.zeros(steps, dtype=np.int64),
            reward=np.zeros(steps, dtype=np.float32),
            next_obs=np.zeros_like(obs),
            terminated=np.zeros(steps, dtype=bool),
            truncated=np.zeros(steps, dtype=bool),
            valid=np.zeros(steps, dtype=bool),
        )
        self.pos = 0
        self.size = 0

    def add(self, step: Transitions) -> None:
        """Store one step of every agent (fields ``[n_agents, ...]``)."""
        i = self.pos
        for stored, value in zip(self.data, step, strict=True):
            stored[i] = value
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample_pooled(self, batch: int, rng: np.random.Generator) -> Transitions:
        """``batch`` transitions drawn uniformly from every agent's valid steps, fields ``[B]``.

        Raises:
            ValueError: when no stored step is valid (nothing to learn from).

        """
        t = rng.integers(self.size, size=batch)
        a = rng.integers(self.n_agents, size=batch)
        bad = ~self.data.valid[t, a]
        if bad.any() and not self.data.valid[: self.size].any():
            raise ValueError("the replay buffer holds no valid step of any agent")
        while bad.any():  # rare: steps where an agent was inactive
            t[bad] = rng.integers(self.size, size=int(bad.sum()))
            a[bad] = rng.integers(self.n_agents, size=int(bad.sum()))
            bad = ~self.data.valid[t, a]
        return self._take(t, a)

    def sample_per_agent(self, batch: int, rng: np.random.Generator) -> Transitions:
        """``batch`` transitions per agent from its own valid steps, fields ``[n_agents, B]``.

        Each agent's draws are uniform over the steps in which it was active. An agent with
        no valid step stored gets a minibatch marked ``valid = False`` throughout, which the
        learner must ignore.
        """
        t = rng.integers(self.size, size=(self.n_agents, batch))
        bad = ~self.data.valid[t, np.arange(self.n_agents)[:, None]]
        if bad.any():
            self._redraw_valid(t, bad, rng)
        a = np.broadcast_to(np.arange(self.n_agents)[:, None], t.shape)
        return self._take(t, a)

    def _redraw_valid(self, t: np.ndarray, bad: np.ndarray, rng: np.random.Generator) -> None:
        """Replace the draws ``t[bad]`` by steps drawn uniformly among their agent's valid ones.

        A first uniform draw kept where valid, redrawn uniformly among the valid steps where
        not, is uniform over the valid steps. The ``r``-th valid step of an agent is found by
        binary search in the running count of its valid steps (no loop over agents): the
        columns' counts, offset so that they increase across columns, form one sorted array.
        """
        agents = np.flatnonzero(bad.any(axis=1))
        counts = self.data.valid[: self.size, agents].cumsum(axis=0)  # [size, k]
        offset = np.arange(agents.size) * (self.size + 1)
        sorted_counts = (counts + offset).T.ravel()
        which, slot = np.nonzero(bad[agents])  # which: index into `agents`
        have = counts[-1, which]
        keep = have > 0  # agents without any valid step keep their (invalid) draws
        which, slot, have = which[keep], slot[keep], have[keep]
        rank = np.minimum((rng.random(which.size) * have).astype(np.int64), have - 1)
        position = np.searchsorted(sorted_counts, rank + 1 + offset[which], side="left")
        t[agents[which], slot] = position - which * self.size

    def _take(self, t: np.ndarray, a: np.ndarray) -> Transitions:
        return Transitions(*(field[t, a] for field in self.data))

    def state_dict(self) -> dict[str, np.ndarray]:
        """The stored transitions and the write position."""
        state = {f"buffer.{k}": v.copy() for k, v in self.data._asdict().items()}
        state["buffer.pos_size"] = np.array([self.pos, self.size])
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (same capacity, agents and observation shape)."""
        for key, stored in self.data._asdict().items():
            value = np.asarray(state[f"buffer.{key}"])
            if value.shape != stored.shape:
                raise ValueError(
                    f"checkpoint buffer.{key} has shape {value.shape}, expected {stored.shape}"
                )
            stored[...] = value
        self.pos, self.size = (int(v) for v in state["buffer.pos_size"])
