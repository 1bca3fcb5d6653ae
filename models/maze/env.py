"""Entry points for the maze's environments (``socialrl/Maze-v0`` and PettingZoo)."""

from __future__ import annotations

from typing import Any

from socialrl.envs.gym_env import SingleAgentEnv
from socialrl.envs.pettingzoo_env import ParallelEnv

from .model import MazeModel

__all__ = ["MazeEnv", "parallel_env"]


class MazeEnv(SingleAgentEnv):
    """``socialrl/Maze-v0``: one walker (the focal one) in a :class:`MazeModel`.

    Defaults: the lecture's maze, −1 per step, episodes truncated after 500 moves. Every
    :class:`MazeModel` parameter can be passed to ``gymnasium.make``, e.g.
    ``gymnasium.make("socialrl/Maze-v0", layout="dyna", step_reward=0, goal_reward=1)``.
    """

    def __init__(
        self,
        render_mode: str | None = None,
        focal: int = 0,
        others: Any = None,
        max_episode_steps: int | None = 500,
        **params: Any,
    ) -> None:
        super().__init__(
            MazeModel,
            role="walker",
            focal=focal,
            others=others,
            render_mode=render_mode,
            max_episode_steps=max_episode_steps,
            **params,
        )


def parallel_env(render_mode: str | None = None, **params: Any) -> ParallelEnv:
    """PettingZoo parallel maze: every walker is an agent (``walker_0``, ``walker_1``, …)."""
    params.setdefault("max_episode_steps", 500)
    return ParallelEnv(MazeModel, render_mode=render_mode, **params)
