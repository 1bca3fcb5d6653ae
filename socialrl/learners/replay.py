"""Experience replay for a group of agents (Lin 1992; Mnih et al. 2015).

One preallocated ring buffer holds the last ``capacity`` steps of every agent of a group:
arrays ``[capacity, n_agents, ...]``, written one step (all agents) at a time with a single
array assignment. Observations are stored raw (a state index is 8 bytes, its one-hot encoding
would be hundreds) and encoded only when a minibatch is drawn.

Sampling draws from the learner's own generator: uniformly over all stored transitions of the
group (a shared network learns from everyone's experience), or per agent (independent networks:
each agent's minibatch comes from its own experience only).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["ReplayBuffer"]


class ReplayBuffer:
    """A ring buffer of transitions ``(s, a, r, s', terminated)`` for ``n_agents`` agents.

    Args:
        capacity: Steps kept per agent (the oldest are overwritten).
        n_agents: Agents writing each step.
        observation_space: One agent's observation space (fixes shape and dtype).

    """

    FIELDS = ("obs", "actions", "rewards", "next_obs", "terminated", "valid")

    def __init__(self, capacity: int, n_agents: int, observation_space: gym.Space[Any]) -> None:
        if int(capacity) != capacity or capacity < 1:
            raise ValueError(f"buffer_size must be a positive integer, got {capacity!r}")
        shape = observation_space.shape or ()
        dtype = observation_space.dtype or np.float32
        self.capacity, self.n_agents = int(capacity), int(n_agents)
        self.obs = np.zeros((capacity, n_agents, *shape), dtype=dtype)
        self.next_obs = np.zeros_like(self.obs)
        self.actions = np.zeros((capacity, n_agents), dtype=np.int64)
        self.rewards = np.zeros((capacity, n_agents), dtype=np.float32)
        self.terminated = np.zeros((capacity, n_agents), dtype=bool)
        self.valid = np.zeros((capacity, n_agents), dtype=bool)
        self.pos = 0
        self.size = 0

    def add(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """Store one step of every agent (``mask`` False: the agent did not move)."""
        i = self.pos
        self.obs[i] = obs
        self.actions[i] = actions
        self.rewards[i] = rewards
        self.next_obs[i] = next_obs
        self.terminated[i] = terminated
        self.valid[i] = True if mask is None else mask
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample_pooled(self, batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``batch`` transitions drawn uniformly from every agent's stored steps."""
        t = rng.integers(self.size, size=batch)
        a = rng.integers(self.n_agents, size=batch)
        bad = ~self.valid[t, a]
        while bad.any():  # rare: steps where an agent was inactive
            t[bad] = rng.integers(self.size, size=int(bad.sum()))
            a[bad] = rng.integers(self.n_agents, size=int(bad.sum()))
            bad = ~self.valid[t, a]
        return self._take(t, a)

    def sample_per_agent(self, batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``batch`` transitions per agent from its own steps: arrays ``[n_agents, batch, ...]``."""
        t = rng.integers(self.size, size=(self.n_agents, batch))
        a = np.broadcast_to(np.arange(self.n_agents)[:, None], t.shape)
        return self._take(t, a)

    def _take(self, t: np.ndarray, a: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "obs": self.obs[t, a],
            "actions": self.actions[t, a],
            "rewards": self.rewards[t, a],
            "next_obs": self.next_obs[t, a],
            "terminated": self.terminated[t, a],
            "valid": self.valid[t, a],
        }

    def state_dict(self) -> dict[str, np.ndarray]:
        """The stored transitions and the write position."""
        state = {f"buffer.{k}": getattr(self, k).copy() for k in self.FIELDS}
        state["buffer.pos_size"] = np.array([self.pos, self.size])
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (same capacity, agents and observation shape)."""
        for k in self.FIELDS:
            value = np.asarray(state[f"buffer.{k}"])
            if value.shape != getattr(self, k).shape:
                raise ValueError(
                    f"checkpoint buffer.{k} has shape {value.shape}, expected "
                    f"{getattr(self, k).shape}"
                )
            setattr(self, k, value.copy())
        self.pos, self.size = (int(v) for v in state["buffer.pos_size"])
