"""Gymnasium ids of the models' environments, declared by their plugins (``env_ids``).

``import socialrl`` registers them; ``gymnasium.make("socialrl:socialrl/Maze-v0")`` imports
socialrl itself first, so it works without the import.
"""

from __future__ import annotations

import gymnasium as gym

from socialrl.plugins import discover

__all__ = ["register_envs"]


def register_envs() -> None:
    """Register every plugin's ids that are not registered yet.

    A plugin installed into a running process adds its ids after
    :func:`socialrl.plugins.refresh` and a second call.
    """
    for found in discover().plugins.values():
        for env_id, entry_point in found.plugin.env_ids.items():
            if env_id not in gym.registry:
                gym.register(id=env_id, entry_point=entry_point)
