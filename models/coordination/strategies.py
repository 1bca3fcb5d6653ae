"""Fixed repeated-game strategies as population members: tit-for-tat and win-stay-lose-shift.

They implement the learner protocol (:class:`socialrl.learners.base.Learner`) with a no-op
``learn``, so a population can seat them beside Q-learners (``agents = {side = 1}``) or drive
the "others" of the single-agent view with them. They read the ``"memory1"`` observation —
own and partner's last action, or the start state (see
:mod:`socialrl_models.coordination.observations`).
Always-X is :class:`socialrl.learners.FixedAction`.

With ``noise > 0`` a strategy trembles (Selten 1975): it plays a uniformly random action with
that probability, drawing from the generator that ``bind`` seeds — the learners' rule, so runs
stay reproducible from one seed. ``greedy`` is the noiseless rule.

Revision rules that need the neighbours' payoffs (imitate-the-best, noisy best response) are
not observation → action maps: the model runs them (:mod:`socialrl_models.coordination.revision`).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.learners.fixed import _Stateless

from .games import Game, get_game
from .observations import decode_memory, memory_start

__all__ = ["TitForTat", "WinStayLoseShift"]


class _MemoryOneStrategy(_Stateless):
    """Plumbing shared by strategies of the memory-1 observation.

    The generator, the no-op ``learn`` and the checkpoints come from
    :class:`socialrl.learners.fixed._Stateless`.
    """

    name = "memory_one"

    def __init__(self, first: int = 0, noise: float = 0.0) -> None:
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"noise must lie in [0, 1], got {noise!r}")
        super().__init__()
        self.first = int(first)
        self.noise = float(noise)

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Check the observation is memory-1 for this many actions; seed the tremble."""
        n_actions = int(action_space.n)
        expected = memory_start(n_actions) + 1
        if not isinstance(observation_space, gym.spaces.Discrete) or (
            int(observation_space.n) != expected
        ):
            raise TypeError(
                f"{type(self).__name__} reads memory-1 observations (observation='memory1': "
                f"Discrete({expected}) for {n_actions} actions); got {observation_space}"
            )
        if not 0 <= self.first < n_actions:
            raise ValueError(f"first must lie in [0, {n_actions}), got {self.first}")
        super().bind(n_agents, observation_space, action_space, seed)

    def act(self, obs: np.ndarray) -> np.ndarray:
        """The rule's actions, each replaced by a random one with probability ``noise``."""
        actions = self.greedy(obs)
        if self.noise > 0:
            trembles = self._rng.random(self.n_agents) < self.noise
            random_actions = self._rng.integers(self.n_actions, size=self.n_agents)
            actions = np.where(trembles, random_actions, actions)
        return actions

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The rule's action for every agent (no tremble)."""
        obs = np.asarray(obs)
        if obs.shape != (self.n_agents,):
            raise ValueError(
                f"{type(self).__name__} bound to {self.n_agents} agents got observations of "
                f"shape {obs.shape}"
            )
        own, partner, at_start = decode_memory(obs, self.n_actions)
        return np.where(at_start, self.first, self.respond(own, partner)).astype(np.int64)

    def respond(self, own: np.ndarray, partner: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The next action after a game ``(own, partner)``."""
        raise NotImplementedError


class TitForTat(_MemoryOneStrategy):
    """Tit-for-tat (Rapoport; Axelrod 1984): start with ``first``, then copy the partner.

    Args:
        first: The opening action (0: cooperate in the prisoner's dilemma).
        noise: Probability of a random action instead (a trembling hand).

    """

    name = "tit_for_tat"

    def respond(self, own: np.ndarray, partner: np.ndarray) -> np.ndarray:
        """The partner's last action."""
        return partner

    def __repr__(self) -> str:
        return f"TitForTat(first={self.first}, noise={self.noise})"


class WinStayLoseShift(_MemoryOneStrategy):
    """Win-stay, lose-shift, or Pavlov (Nowak & Sigmund 1993).

    Repeat the last action if it earned at least the aspiration level, else shift to the next
    action (``(own + 1) mod A``). With the prisoner's dilemma's T, R, P, S = 5, 3, 1, 0 and the
    default aspiration (the mean payoff, 2.25), R and T are wins, S and P losses: the classic
    Pavlov (cooperate after CC and DD, defect after CD and DC).

    Args:
        game: The game whose payoffs define winning: a zoo name or a matrix (the row player's
            payoffs are used: the strategy is meant for symmetric games).
        game_params: Parameters of a zoo game.
        aspiration: The payoff that counts as a win (default: the mean of the payoff matrix).
        first: The opening action.
        noise: Probability of a random action instead.

    """

    name = "win_stay_lose_shift"

    def __init__(
        self,
        game: str | Any = "prisoners_dilemma",
        game_params: dict[str, Any] | None = None,
        aspiration: float | None = None,
        first: int = 0,
        noise: float = 0.0,
    ) -> None:
        super().__init__(first=first, noise=noise)
        self.game: Game = get_game(game, **(game_params or {}))
        self.aspiration = float(self.game.row.mean()) if aspiration is None else float(aspiration)
        self._wins = self.game.row >= self.aspiration  # [own, partner]

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Also check that the game has as many actions as the role."""
        if self.game.n_actions != int(action_space.n):
            raise ValueError(
                f"WinStayLoseShift's game {self.game.name!r} has {self.game.n_actions} actions, "
                f"the role {int(action_space.n)}"
            )
        super().bind(n_agents, observation_space, action_space, seed)

    def respond(self, own: np.ndarray, partner: np.ndarray) -> np.ndarray:
        """Stay after a win, move to the next action after a loss."""
        return np.where(self._wins[own, partner], own, (own + 1) % self.n_actions)

    def __repr__(self) -> str:
        return (
            f"WinStayLoseShift(game={self.game.name!r}, aspiration={self.aspiration}, "
            f"first={self.first}, noise={self.noise})"
        )
