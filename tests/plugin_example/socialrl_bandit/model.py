"""Gamblers choosing arms that pay 1 with fixed probabilities: the smallest socialrl model."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mesa
import numpy as np

from socialrl.contract import RoleSpec, RoleStep


class BanditModel(mesa.Model):
    """``n_agents`` gamblers (role ``gambler``) in episodes of ``horizon`` pulls."""

    def __init__(self, n_agents=4, p=(0.2, 0.8), horizon=10, autoreset=True, rng=None) -> None:
        super().__init__(rng=rng)
        self.p, self.horizon, self.autoreset = np.asarray(p, float), int(horizon), autoreset
        arms = gym.spaces.Discrete(len(self.p))
        self.roles = {"gambler": RoleSpec("gambler", n_agents, gym.spaces.Discrete(1), arms)}
        self.gamblers = [mesa.Agent(self) for _ in range(n_agents)]
        self.pulls, self.live = np.zeros(n_agents, np.int64), np.ones(n_agents, bool)
        self.actions, self.last = np.zeros(n_agents, np.int64), None

    def observe(self, role: str) -> np.ndarray:
        return np.zeros(len(self.gamblers), np.int64)

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        self.actions = np.asarray(actions, np.int64)

    def step(self) -> None:
        won = self.rng.random(len(self.gamblers)) < self.p[self.actions]
        reward = np.where(self.live, won, 0.0)
        self.pulls += self.live
        truncated = self.live & (self.pulls >= self.horizon)
        if self.autoreset:
            self.pulls[truncated] = 0
        else:
            self.live = self.live & ~truncated
        obs = self.observe("gambler")
        self.last = RoleStep(obs, reward, np.zeros_like(truncated), truncated, obs)

    def outcome(self, role: str) -> RoleStep:
        return self.last

    def active(self, role: str) -> np.ndarray:
        return self.live.copy()

    def role_agents(self, role: str) -> list[Any]:
        return self.gamblers

    def metrics(self) -> dict[str, float]:
        return {"win_rate": float(self.last.reward.mean()) if self.last else 0.0}

    def agent_frame(self, role: str) -> dict[str, np.ndarray]:
        return {"pulls": self.pulls.copy()}

    def render_text(self) -> str:
        return f"pulls per gambler: {self.pulls.tolist()}"
