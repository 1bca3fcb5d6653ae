"""Adapters that host a socialrl model as an environment (composition: they hold the model).

- :class:`MultiAgentEnv` — batched, multi-role; what the lab's learners use.
- :class:`SingleAgentEnv` — one focal agent as a ``gymnasium.Env``.
- :class:`ParallelEnv` — every agent as a PettingZoo parallel agent.
"""

from socialrl.envs.batched import MultiAgentEnv
from socialrl.envs.gym_env import SingleAgentEnv
from socialrl.envs.pettingzoo_env import ParallelEnv
from socialrl.envs.registration import register_envs

__all__ = ["MultiAgentEnv", "ParallelEnv", "SingleAgentEnv", "register_envs"]
