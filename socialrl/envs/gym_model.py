"""Any Gymnasium environment as a socialrl model: ``n_envs`` copies, one role of agents.

So that the lab's learners run against Gymnasium's own environments (CartPole, FrozenLake,
the short corridor, …) through the same protocol as against Mesa models:
``simulate("gymnasium", {"env_id": "CartPole-v1", "n_envs": 8}, {"agent": DQN()}, ...)``.
Each copy is one agent (role ``agent``); an episode that ends restarts in the same step
(same-step autoreset, as everywhere in the lab), with the final observation in ``next_obs``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mesa
import numpy as np

from socialrl.contract import RoleSpec, RoleStep

__all__ = ["GymnasiumModel"]

ROLE = "agent"


class EnvSlot(mesa.Agent):
    """One copy of the environment, as a Mesa agent."""

    def __init__(self, model: GymnasiumModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot


class GymnasiumModel(mesa.Model):
    """``n_envs`` copies of a Gymnasium environment with discrete actions.

    Args:
        env_id: A registered Gymnasium id (e.g. ``"CartPole-v1"``, ``"socialrl/ShortCorridor-v0"``).
        n_envs: Copies (agents).
        env_kwargs: Keyword arguments of ``gymnasium.make``.
        autoreset: Restart finished copies within the step (see :mod:`socialrl.contract`).
        rng: Seed or generator; each copy is reset with a seed drawn from it.

    """

    def __init__(
        self,
        env_id: str = "CartPole-v1",
        n_envs: int = 1,
        env_kwargs: dict[str, Any] | None = None,
        autoreset: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        if int(n_envs) != n_envs or n_envs < 1:
            raise ValueError(f"n_envs must be a positive integer, got {n_envs!r}")

        try:
            self.envs = [gym.make(env_id, **(env_kwargs or {})) for _ in range(n_envs)]
        except gym.error.Error as err:
            raise ValueError(f"env_id {env_id!r}: {err}") from None
        space = self.envs[0].action_space
        if not isinstance(space, gym.spaces.Discrete):
            raise ValueError(f"env_id {env_id!r} has actions {space}; socialrl needs Discrete")
        self.autoreset = bool(autoreset)
        self.roles = {ROLE: RoleSpec(ROLE, int(n_envs), self.envs[0].observation_space, space)}
        self.slots = [EnvSlot(self, i) for i in range(n_envs)]
        self._obs = np.stack([self._reset(i) for i in range(n_envs)])
        self._active = np.ones(n_envs, dtype=bool)
        self._actions = np.zeros(n_envs, dtype=np.int64)
        self._outcome: RoleStep | None = None
        self.episodes = np.zeros(n_envs, dtype=np.int64)

    def _reset(self, i: int) -> Any:
        obs, _ = self.envs[i].reset(seed=int(self.rng.integers(2**31)))
        return obs

    def observe(self, role: str = ROLE) -> np.ndarray:
        """Every copy's current observation."""
        return self._obs

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        """Actions for the next step."""
        self._actions = actions

    def active(self, role: str = ROLE) -> np.ndarray:
        """Copies inside an episode."""
        return self._active

    def role_agents(self, role: str = ROLE) -> list[EnvSlot]:
        """The copies, as Mesa agents."""
        return self.slots

    def step(self) -> None:
        """Step every active copy (Gymnasium environments are stepped one by one)."""
        n = len(self.envs)
        reward = np.zeros(n)
        terminated = np.zeros(n, dtype=bool)
        truncated = np.zeros(n, dtype=bool)
        final = self._obs.copy()
        obs = self._obs.copy()
        for i, env in enumerate(self.envs):
            if not self._active[i]:
                continue
            o, r, term, trunc, _ = env.step(self._actions[i])
            final[i], reward[i], terminated[i], truncated[i] = o, r, term, trunc
            obs[i] = o
            if term or trunc:
                self.episodes[i] += 1
                if self.autoreset:
                    obs[i] = self._reset(i)
                else:
                    self._active[i] = False
        self._obs = obs
        self._outcome = RoleStep(obs, reward, terminated, truncated, final)

    def outcome(self, role: str = ROLE) -> RoleStep:
        """Outcome of the last step."""
        if self._outcome is None:
            raise RuntimeError("outcome() is only defined after a step()")
        return self._outcome

    def metrics(self) -> dict[str, float]:
        """Copies inside an episode."""
        return {"envs_active": float(self._active.sum())}

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Episodes finished per copy."""
        return {"episodes": self.episodes.copy()}
