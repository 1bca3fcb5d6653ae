"""Tiny models whose outcome is a known function of their parameters (sensitivity tests).

A study names them by import path (``model.name = "tests.sa_models:FunctionModel"``). One
step computes ``f(x1, x2, x3)`` and reports it as the ``steps`` metric ``f``: the Ishigami
function (Saltelli et al. 2008, §2.9; analytic Sobol indices in REFERENCES.md), a linear
function with known coefficients, and the sum of the two plus noise of known variance (for
adaptive replications). Inputs arrive on ``[0, 1]`` and are mapped to the function's domain.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import mesa
import numpy as np

from socialrl.contract import RoleSpec, RoleStep

__all__ = ["FunctionModel"]

#: The linear function's coefficients: Sobol indices c_i² / Σ c² for uniform inputs.
LINEAR = (2.0, 1.0, 0.0)


class FunctionModel(mesa.Model):
    """One agent (role ``point``) that does nothing; the model reports ``f`` every step.

    Args:
        x1, x2, x3: Inputs on ``[0, 1]`` (Ishigami: mapped to ``[−π, π]``).
        function: ``"ishigami"`` (a = 7, b = 0.1) or ``"linear"`` (coefficients :data:`LINEAR`).
        noise: Standard deviation of Gaussian noise added to ``f`` (from the model's ``rng``).
        rng: Seed or generator.

    """

    def __init__(
        self,
        x1: float = 0.5,
        x2: float = 0.5,
        x3: float = 0.5,
        function: str = "ishigami",
        noise: float = 0.0,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        if function not in ("ishigami", "linear"):
            raise ValueError(f"function must be 'ishigami' or 'linear', got {function!r}")
        self.x = np.array([x1, x2, x3], dtype=np.float64)
        self.function, self.noise = function, float(noise)
        self.autoreset = True  # no episodes end: nothing to restart
        space = gym.spaces.Discrete(1)
        self.roles = {"point": RoleSpec("point", 1, space, space)}
        self.agent = mesa.Agent(self)
        self._zero = np.zeros(1, dtype=np.int64)
        self._last: RoleStep | None = None
        self.value = math.nan

    def observe(self, role: str) -> np.ndarray:
        return self._zero

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        pass

    def step(self) -> None:
        if self.function == "ishigami":
            x1, x2, x3 = (self.x * 2 - 1) * math.pi
            f = math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)
        else:
            f = float(np.dot(LINEAR, self.x))
        if self.noise:
            f += float(self.rng.normal(0.0, self.noise))
        self.value = f
        never = np.zeros(1, dtype=bool)
        self._last = RoleStep(self._zero, np.zeros(1), never, never, self._zero)

    def outcome(self, role: str) -> RoleStep:
        assert self._last is not None
        return self._last

    def active(self, role: str) -> np.ndarray:
        return np.ones(1, dtype=bool)

    def role_agents(self, role: str) -> list[Any]:
        return [self.agent]

    def metrics(self) -> dict[str, float]:
        return {"f": self.value}

    def agent_frame(self, role: str) -> dict[str, np.ndarray]:
        return {}
