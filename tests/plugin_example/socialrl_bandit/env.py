"""``bandit/Bandit-v0``: one gambler as a Gymnasium environment."""

from typing import Any

from socialrl.envs.gym_env import SingleAgentEnv

from .model import BanditModel


class BanditEnv(SingleAgentEnv):
    """The focal gambler; the others pull at random."""

    def __init__(self, render_mode: str | None = None, **params: Any) -> None:
        super().__init__(BanditModel, render_mode=render_mode, **params)
