"""Gymnasium ids for the lab's environments.

``import socialrl`` registers them; ``gymnasium.make("socialrl:socialrl/Maze-v0")`` imports
socialrl itself first, so it works without the import.
"""

from __future__ import annotations

import gymnasium as gym

__all__ = ["ENV_IDS", "register_envs"]

#: id → (entry point, default keyword arguments)
ENV_IDS: dict[str, tuple[str, dict[str, object]]] = {
    "socialrl/Maze-v0": ("socialrl_models.maze.env:MazeEnv", {}),
    "socialrl/PricingMarket-v0": ("socialrl_models.pricing.env:PricingMarketEnv", {}),
    "socialrl/Coordination-v0": ("socialrl_models.coordination.env:CoordinationEnv", {}),
    "socialrl/ShortCorridor-v0": ("socialrl.envs.classic:ShortCorridorEnv", {}),
}


def register_envs() -> None:
    """Register every id in :data:`ENV_IDS` once."""
    for env_id, (entry_point, kwargs) in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs))
