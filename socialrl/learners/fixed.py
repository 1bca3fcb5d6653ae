"""Non-learning policies: baselines, opponents and background agents.

They implement the learner protocol with a no-op ``learn`` so that a population can place them
beside learners (a Q-learning firm against a fixed-price rival, random walkers among learners).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.games import sample_legal
from socialrl.learners.base import rng_state_array, set_rng_state

__all__ = ["CallablePolicy", "FixedAction", "RandomPolicy"]


class _Stateless:
    """Shared plumbing of policies whose only state is their random generator."""

    name = "fixed"
    learns = False

    def __init__(self) -> None:
        self.n_agents = 0
        self.n_actions = 0
        self._rng = np.random.default_rng(0)

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Remember the group size and action count; seed the generator."""
        self.n_agents = int(n_agents)
        self.n_actions = int(action_space.n)
        self._rng = np.random.default_rng(seed)

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Same as :meth:`greedy` unless the policy is random."""
        self._check(obs)
        return self.greedy(obs)

    def _check(self, obs: np.ndarray) -> None:
        if np.shape(obs)[:1] != (self.n_agents,):
            raise ValueError(
                f"{type(self).__name__} bound to {self.n_agents} agents got observations of "
                f"shape {np.shape(obs)}"
            )

    def greedy(self, obs: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        """Actions for ``obs``."""
        raise NotImplementedError

    def learn(self, *args: Any, **kwargs: Any) -> None:
        """Fixed policies do not learn."""

    def diagnostics(self) -> dict[str, float]:
        """Nothing to report."""
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Only the generator's state (a random policy resumes its exact stream)."""
        return {"rng": rng_state_array(self._rng)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore the generator's state."""
        set_rng_state(self._rng, state["rng"])


class RandomPolicy(_Stateless):
    """Uniformly random actions (ε = 1 forever): the zero-knowledge baseline."""

    name = "random"

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Uniform random actions."""
        self._check(obs)
        return self._rng.integers(self.n_actions, size=self.n_agents)

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """A random policy has no greedy action; it stays random."""
        return self.act(obs)

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """Uniform among the legal moves (a board game's random anchor)."""
        self._check(obs)
        return sample_legal(legal, self._rng)

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """Still uniform among the legal moves."""
        return self.act_masked(obs, legal)


class FixedAction(_Stateless):
    """Always the same action (e.g. always-defect, a fixed price index)."""

    name = "fixed_action"

    def __init__(self, action: int) -> None:
        super().__init__()
        self.action = int(action)

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Check the action exists in the role's action space."""
        super().bind(n_agents, observation_space, action_space, seed)
        if not 0 <= self.action < self.n_actions:
            raise ValueError(f"action must lie in [0, {self.n_actions}), got {self.action}")

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The fixed action for every agent."""
        return np.full(self.n_agents, self.action, dtype=np.int64)


class CallablePolicy(_Stateless):
    """A policy given as a function of the batch of observations ``[n, ...] → int[n]``."""

    name = "callable"

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        super().__init__()
        self.fn = fn

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """Whatever the function says."""
        return np.asarray(self.fn(obs), dtype=np.int64)
