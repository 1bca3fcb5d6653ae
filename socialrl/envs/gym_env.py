"""The single-agent view: one focal agent as a :class:`gymnasium.Env`.

This is how other libraries (Stable-Baselines3, CleanRL, …) meet our models: one agent of one
role is "the" agent; every other agent of the model acts by a given policy (uniformly random by
default) that lives inside the environment. ``reset`` builds a fresh model, so episodes are
independent and seeding is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.contract import MultiAgentModel, check_actions
from socialrl.envs.hosting import Hosting
from socialrl.learners.base import Learner
from socialrl.learners.fixed import CallablePolicy, RandomPolicy
from socialrl.mesa_compat import release_model
from socialrl.registry import model_factory

__all__ = ["SingleAgentEnv"]


class SingleAgentEnv(Hosting, gym.Env[Any, np.int64]):
    """One agent of a socialrl model as a Gymnasium environment.

    Args:
        model: A registered model name or a model class.
        role: The focal agent's role (default: the model's only role).
        focal: The focal agent's slot in its role.
        others: Policy of every other agent of every role: a learner/policy object (bound by
            the env, e.g. a trained, frozen :class:`~socialrl.learners.QLearning`) or a function
            ``obs[n, ...] → actions[n]``, or a mapping role → such a policy. A learner must be
            bound to the role's full batch; it acts greedily and does not learn. Default:
            uniformly random actions.
        render_mode: ``"ansi"`` where the model can draw itself as text.
        **params: The model's parameters.

    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012 (Gymnasium API)

    def __init__(
        self,
        model: str | Callable[..., Any],
        role: str | None = None,
        focal: int = 0,
        others: Any = None,
        render_mode: str | None = None,
        **params: Any,
    ) -> None:
        self._build = model_factory(model, params)
        probe = self._build(np.random.default_rng(0))
        roles = list(probe.roles)
        if role is None:
            if len(roles) != 1:
                raise ValueError(f"the model has roles {roles}; choose the focal one with role=")
            role = roles[0]
        if role not in probe.roles:
            raise KeyError(f"unknown role {role!r}; roles: {', '.join(roles)}")
        spec = probe.roles[role]
        if not 0 <= focal < spec.n_agents:
            raise ValueError(f"focal must lie in [0, {spec.n_agents}), got {focal}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        self.role, self.focal, self.render_mode = role, focal, render_mode
        self.observation_space = spec.observation_space
        self.action_space = spec.action_space
        self._specs = dict(probe.roles)
        release_model(probe)
        self._others_given = others
        self._others: dict[str, Any] = {}
        self.model: MultiAgentModel | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start a new episode in a freshly built model."""
        super().reset(seed=seed)
        if self.model is not None:
            release_model(self.model)
        model_seed, others_seed = np.random.SeedSequence(int(self.np_random.integers(2**63))).spawn(
            2
        )
        self.model = self._build(np.random.default_rng(model_seed))
        self._others = {}
        seeds = others_seed.spawn(len(self._specs))
        for (role, spec), role_seed in zip(self._specs.items(), seeds, strict=True):
            policy = self._make_other_policy(role)
            policy.bind(spec.n_agents, spec.observation_space, spec.action_space, role_seed)
            self._others[role] = policy
        return self._focal_obs(self.model.observe(self.role)), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Move the focal agent with ``action`` and everyone else by their policies."""
        if self.model is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in the action space {self.action_space}")
        model = self.model
        for role, spec in self._specs.items():
            acts = np.asarray(self._others[role].act(model.observe(role)), dtype=np.int64)
            if role == self.role:
                acts = acts.copy()
                acts[self.focal] = int(action)
            model.set_actions(role, check_actions(spec, acts))
        model.step()
        out = model.outcome(self.role)
        i = self.focal
        terminated, truncated = bool(out.terminated[i]), bool(out.truncated[i])
        # At the end of an episode the focal agent reports where it ended (Gymnasium semantics);
        # the model has already restarted it, which the next reset() discards anyway.
        obs = out.next_obs if (terminated or truncated) else out.obs
        return self._focal_obs(obs), float(out.reward[i]), terminated, truncated, {}

    def _make_other_policy(self, role: str) -> Any:
        given = self._others_given
        if isinstance(given, Mapping):
            given = given.get(role)
        if given is None:
            return RandomPolicy()
        if isinstance(given, Learner):
            return _Frozen(given)
        return CallablePolicy(given)

    def _focal_obs(self, batch: np.ndarray) -> Any:
        obs = batch[self.focal]
        if isinstance(self.observation_space, gym.spaces.Discrete):
            return np.int64(obs)
        return np.asarray(obs, dtype=self.observation_space.dtype)


class _Frozen:
    """A trained learner acting greedily for the other agents, never rebound or updated."""

    def __init__(self, learner: Any) -> None:
        self.learner = learner

    def bind(self, *args: Any, **kwargs: Any) -> None:
        """Keep the learner's trained state."""

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Greedy actions of the frozen learner."""
        return np.asarray(self.learner.greedy(obs))
