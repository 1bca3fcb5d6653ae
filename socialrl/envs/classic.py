"""Small textbook environments used as known-answer tests for learners."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["ShortCorridorEnv"]


class ShortCorridorEnv(gym.Env[np.int64, np.int64]):
    """Sutton & Barto (2018), Example 13.1: the short corridor with switched actions.

    Description:
        Four cells in a row; the episode starts in cell 0 and ends on reaching cell 3. In
        cell 1 the actions are reversed ("right" moves left). Every observation is the same,
        so a learner can only choose one probability of going right for all cells: the best is
        ``p = 2 − √2 ≈ 0.586`` with value ``J* ≈ −11.6``, while ε-greedy policies over the two
        actions (ε = 0.1) reach only about −44 and −82. A policy-gradient method finds the
        stochastic optimum; action-value methods cannot.

    Action Space:
        ``Discrete(2)``: 0 left, 1 right.

    Observation Space:
        ``Discrete(1)``: always 0 (the cells look alike).

    Rewards:
        −1 per step.

    Episode End:
        Termination on reaching cell 3; truncation after ``max_steps`` steps.

    Arguments:
        max_steps: Time limit (default 1,000).

    """

    metadata = {"render_modes": []}  # noqa: RUF012 (Gymnasium API)

    def __init__(self, max_steps: int = 1000) -> None:
        self.observation_space = gym.spaces.Discrete(1)
        self.action_space = gym.spaces.Discrete(2)
        self.max_steps = max_steps
        self.cell = 0
        self.t = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.int64, dict[str, Any]]:
        """Back to cell 0."""
        super().reset(seed=seed)
        self.cell, self.t = 0, 0
        return np.int64(0), {"cell": 0}

    def step(self, action: np.int64) -> tuple[np.int64, float, bool, bool, dict[str, Any]]:
        """Move one cell (reversed in cell 1); −1 per step."""
        right = int(action) == 1
        if self.cell == 1:
            right = not right
        self.cell = max(0, self.cell + (1 if right else -1))
        self.t += 1
        terminated = self.cell == 3
        truncated = not terminated and self.t >= self.max_steps
        return np.int64(0), -1.0, terminated, truncated, {"cell": self.cell}


def short_corridor_value(p_right: float) -> float:
    """Exact value of the start cell when going right with probability ``p_right``.

    Solves the three Bellman equations of the corridor (cells 0, 1, 2; cell 3 is terminal).
    """
    p, q = p_right, 1.0 - p_right
    # v0 = -1 + p v1 + q v0 ; v1 = -1 + q v2 + p v0 ; v2 = -1 + q v1 + p * 0
    a = np.array([[1 - q, -p, 0.0], [-p, 1.0, -q], [0.0, -q, 1.0]])
    return float(np.linalg.solve(a, -np.ones(3))[0])
