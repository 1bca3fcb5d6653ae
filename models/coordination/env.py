"""Entry points for the coordination environments (``socialrl/Coordination-v0``, PettingZoo)."""

from __future__ import annotations

from typing import Any

from socialrl.envs.gym_env import SingleAgentEnv
from socialrl.envs.pettingzoo_env import ParallelEnv

from .model import CoordinationModel

__all__ = ["CoordinationEnv", "parallel_env"]


class CoordinationEnv(SingleAgentEnv):
    """``socialrl/Coordination-v0``: one learning player (the focal one) in a coordination game.

    Defaults: a 10 × 10 torus of players in pure coordination, each seeing its neighbours'
    action shares, episodes truncated after 100 steps; every other player acts by ``others``
    (uniformly random unless given). Every :class:`CoordinationModel` parameter can be passed to
    ``gymnasium.make``. The iterated prisoner's dilemma against tit-for-tat, for instance (a
    policy for the others is bound to the role's whole batch, as the env expects)::

        tit_for_tat = TitForTat()
        tit_for_tat.bind(2, Discrete(5), Discrete(2), np.random.SeedSequence(0))
        gymnasium.make(
            "socialrl/Coordination-v0", game="prisoners_dilemma",
            structure=Network("pairs", n_players=2), observation="memory1", others=tit_for_tat,
        )

    """

    def __init__(
        self,
        render_mode: str | None = None,
        focal: int = 0,
        others: Any = None,
        max_episode_steps: int | None = 100,
        observation: str = "shares",
        **params: Any,
    ) -> None:
        super().__init__(
            CoordinationModel,
            role="player",
            focal=focal,
            others=others,
            render_mode=render_mode,
            max_episode_steps=max_episode_steps,
            observation=observation,
            **params,
        )


def parallel_env(render_mode: str | None = None, **params: Any) -> ParallelEnv:
    """PettingZoo parallel coordination game: each learning player is an agent (``player_0``, …)."""
    params.setdefault("max_episode_steps", 100)
    return ParallelEnv(CoordinationModel, render_mode=render_mode, **params)
