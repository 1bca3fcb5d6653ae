"""The batched multi-agent view: the one the lab's own learners use.

Every role is a batch: ``reset`` returns ``{role: obs[n, ...]}``, ``step`` takes
``{role: actions[n]}`` and returns ``{role: RoleStep}``. Each agent behaves like one slot of a
Gymnasium vector environment in **same-step autoreset** mode
(:attr:`gymnasium.vector.AutoresetMode.SAME_STEP`): an agent whose episode ends restarts inside
the same step; ``RoleStep.obs`` is its new first observation and ``RoleStep.next_obs`` the final
one of the finished episode (Gymnasium calls it ``final_obs``). This is the mode in which a
learner can update from every step without special cases.

The environment *holds* the model (composition): Mesa's ``Model.__init__`` rebinds
``self.step``, so a class that is both a Mesa model and an environment would lose ``env.step``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.contract import MultiAgentModel, RoleSpec, RoleStep, check_actions
from socialrl.mesa_compat import release_model
from socialrl.registry import model_factory

__all__ = ["MultiAgentEnv"]


class MultiAgentEnv:
    """Batched, multi-role environment over a socialrl model.

    Args:
        model: A registered model name (``"maze"``) or a model class.
        params: The model's parameters (checked against its constructor).

    """

    autoreset_mode = gym.vector.AutoresetMode.SAME_STEP

    def __init__(self, model: str | Callable[..., Any], params: Mapping[str, Any] | None = None):
        self._build = model_factory(model, params)
        self.model: MultiAgentModel | None = None

    @property
    def roles(self) -> Mapping[str, RoleSpec]:
        """The model's roles (after :meth:`reset`)."""
        return self._model.roles

    @property
    def _model(self) -> MultiAgentModel:
        if self.model is None:
            raise RuntimeError("call reset() before using the environment")
        return self.model

    def reset(self, seed: int | np.random.SeedSequence | None = None) -> dict[str, np.ndarray]:
        """Build a fresh model from ``seed`` and return every role's first observations."""
        self.close()
        self.model = self._build(np.random.default_rng(seed))
        return {role: self.model.observe(role) for role in self.model.roles}

    def step(self, actions: Mapping[str, Any]) -> dict[str, RoleStep]:
        """Apply one batch of actions per role, step the model, return the outcomes."""
        model = self._model
        for role, spec in model.roles.items():
            if role not in actions:
                raise KeyError(f"no actions for role {role!r}; roles: {', '.join(model.roles)}")
            model.set_actions(role, check_actions(spec, actions[role]))
        model.step()
        return {role: model.outcome(role) for role in model.roles}

    def close(self) -> None:
        """Drop the model (and Mesa's class-level bookkeeping of it)."""
        if self.model is not None:
            release_model(self.model)
            self.model = None
