"""The PettingZoo view: every agent of every role as a named agent of a ``ParallelEnv``.

Agents are named ``"{role}_{slot}"`` (``"walker_0"``, ``"walker_1"``, …). PettingZoo removes an
agent from ``env.agents`` when its episode ends and the game ends when no agent is left, so the
model is built with ``autoreset=False``: finished agents stay finished and wait.

Where a model restricts moves (:class:`~socialrl.capabilities.ActionMasks`: board games,
bargaining), each agent observes PettingZoo's convention for masked games, a dict
``{"observation": …, "action_mask": int8[A]}`` (1: legal now); an agent that does not move
this step has an all-zero mask, and its action is ignored. A forced illegal move of a mover is
refused in one line (:class:`~socialrl.games.IllegalMove`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from pettingzoo import ParallelEnv as _ParallelEnv

from socialrl.capabilities import ActionMasks
from socialrl.contract import MultiAgentModel
from socialrl.envs.hosting import Hosting
from socialrl.mesa_compat import release_model
from socialrl.registry import model_factory

__all__ = ["ParallelEnv"]


class ParallelEnv(Hosting, _ParallelEnv):
    """A socialrl model as a PettingZoo parallel environment.

    Args:
        model: A registered model name or a model class.
        render_mode: ``"ansi"`` where the model can draw itself as text.
        **params: The model's parameters (``autoreset`` is forced to False).

    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": "socialrl_parallel_v0",
        "render_modes": ["ansi"],
        "is_parallelizable": True,
    }

    def __init__(
        self, model: str | Callable[..., Any], render_mode: str | None = None, **params: Any
    ) -> None:
        params = {**params, "autoreset": False}
        self._build = model_factory(model, params)
        probe = self._build(np.random.default_rng(0))
        self._specs = dict(probe.roles)
        self._masked = isinstance(probe, ActionMasks)
        release_model(probe)
        self._observation_spaces = {
            role: _with_mask(spec.observation_space, spec.n_actions)
            if self._masked
            else spec.observation_space
            for role, spec in self._specs.items()
        }
        self._slots: dict[str, tuple[str, int]] = {}
        for role, spec in self._specs.items():
            for slot in range(spec.n_agents):
                self._slots[f"{role}_{slot}"] = (role, slot)
        self.possible_agents = list(self._slots)
        self.agents: list[str] = []
        self.render_mode = render_mode
        self.model: MultiAgentModel | None = None
        self._rng = np.random.default_rng()

    def observation_space(self, agent: str) -> gym.Space[Any]:
        """Observation space of ``agent`` (shared by its role; with its mask where masked)."""
        return self._observation_spaces[self._slots[agent][0]]

    def action_space(self, agent: str) -> gym.Space[Any]:
        """Action space of ``agent`` (shared by its role)."""
        return self._specs[self._slots[agent][0]].action_space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Build a fresh model; every agent starts an episode."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        if self.model is not None:
            release_model(self.model)
        self.model = self._build(np.random.default_rng(self._rng.integers(2**63)))
        self.agents = list(self.possible_agents)
        obs = {role: self.model.observe(role) for role in self._specs}
        return (
            {a: self._agent_obs(obs, a) for a in self.agents},
            {a: {} for a in self.agents},
        )

    def step(self, actions: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        """Step every live agent; agents whose episode ended leave ``self.agents``."""
        if self.model is None:
            raise RuntimeError("call reset() before step()")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise KeyError(f"no action for live agents {missing[:5]}")
        model = self.model
        for role, spec in self._specs.items():
            batch = np.zeros(spec.n_agents, dtype=np.int64)
            for agent in self.agents:
                r, slot = self._slots[agent]
                if r == role:
                    action = actions[agent]
                    if not spec.action_space.contains(action):
                        raise ValueError(
                            f"action {action!r} of {agent} is not in {spec.action_space}"
                        )
                    batch[slot] = int(action)
            model.set_actions(role, batch)
        model.step()
        outs = {role: model.outcome(role) for role in self._specs}
        obs: dict[str, Any] = {}
        rewards: dict[str, float] = {}
        terms: dict[str, bool] = {}
        truncs: dict[str, bool] = {}
        infos: dict[str, dict[str, Any]] = {}
        for agent in self.agents:
            role, slot = self._slots[agent]
            out = outs[role]
            obs[agent] = self._agent_obs({role: out.next_obs}, agent)
            rewards[agent] = float(out.reward[slot])
            terms[agent] = bool(out.terminated[slot])
            truncs[agent] = bool(out.truncated[slot])
            infos[agent] = {}
        self.agents = [a for a in self.agents if not (terms[a] or truncs[a])]
        return obs, rewards, terms, truncs, infos

    def _agent_obs(self, batch: dict[str, np.ndarray], agent: str) -> Any:
        role, slot = self._slots[agent]
        space = self._specs[role].observation_space
        value = batch[role][slot]
        own = (
            np.int64(value)
            if isinstance(space, gym.spaces.Discrete)
            else np.asarray(value, dtype=space.dtype)
        )
        if not self._masked:
            return own
        assert isinstance(self.model, ActionMasks)
        legal = self.model.legal_actions(role)[slot]
        return {"observation": own, "action_mask": legal.astype(np.int8)}


def _with_mask(space: gym.Space[Any], n_actions: int) -> gym.spaces.Dict:
    """PettingZoo's space of a masked game: the observation and a 0/1 mask of the moves."""
    mask = gym.spaces.Box(0, 1, shape=(n_actions,), dtype=np.int8)
    return gym.spaces.Dict({"observation": space, "action_mask": mask})
