"""The engine's own ``gymnasium`` model: copies of a Gymnasium environment as agents."""

from __future__ import annotations

from typing import Any, ClassVar

from socialrl.envs.gym_model import GymnasiumModel
from tests.contracts import ModelContract


class TestFrozenLakeCopiesContract(ModelContract):
    model = GymnasiumModel
    params: ClassVar[dict[str, Any]] = {"env_id": "FrozenLake-v1", "n_envs": 3}


class TestShortCorridorCopiesContract(ModelContract):
    model = GymnasiumModel
    params: ClassVar[dict[str, Any]] = {
        "env_id": "socialrl/ShortCorridor-v0",
        "n_envs": 2,
        "env_kwargs": {"max_steps": 20},
    }
