"""The engine's own model: any Gymnasium environment, and the textbook environments it ships.

A plugin like every model package's (:mod:`socialrl.plugins`), so the engine lists, resolves
and registers it through the same path as the models.
"""

from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="gymnasium",
    model="socialrl.envs.gym_model:GymnasiumModel",
    description="Any Gymnasium environment with discrete actions, n_envs copies as agents",
    env_ids={"socialrl/ShortCorridor-v0": "socialrl.envs.classic:ShortCorridorEnv"},
)
