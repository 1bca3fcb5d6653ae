"""The subgame-perfect bargainer: a fixed policy that plays the equilibrium everywhere.

:class:`SPEPlayer` implements the learner protocol (:class:`socialrl.learners.base.Learner`)
with a no-op ``learn``, so a population can seat it beside learners — as the rational
benchmark a learner bargains against, or as the exact solver that ratings are anchored to.
It plays the move of :func:`~.theory.solve` at *every* position, on and off the equilibrium
path: it rejects a greedy offer exactly when rejecting pays, and it never needs to be told
the game — the population hands it the model's rules at bind time
(:class:`~socialrl.capabilities.RulesPlanning`), so a study that sweeps δ or the horizon
needs no second copy of them. It observes positions (``observation="position"``, the model's
default) and chooses among the legal moves (:class:`~socialrl.capabilities.MaskedActing`).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.games import GameRules
from socialrl.learners.fixed import _Stateless

from .rules import COLUMNS, AlternatingOffers
from .theory import TIES, solve

__all__ = ["SPEPlayer"]


class SPEPlayer(_Stateless):
    """Subgame-perfect play of alternating-offers bargaining (Rubinstein 1982; Ståhl 1972).

    Args:
        ties: How it answers an offer it is indifferent to: ``"accept"`` (the standard
            convention; the ultimatum proposer keeps ``N``) or ``"reject"`` (it then keeps
            ``N − 1``). The proposals follow from the same rule.

    """

    name = "bargaining_spe"

    def __init__(self, ties: str = "accept") -> None:
        if ties not in TIES:
            raise ValueError(f"ties must be one of {', '.join(map(repr, TIES))}, got {ties!r}")
        super().__init__()
        self.ties = ties
        self.rules: AlternatingOffers | None = None
        self._policy = np.zeros(0, dtype=np.int64)

    def use_rules(self, rules: GameRules) -> None:
        """Solve the game once; its equilibrium move at every position is the policy."""
        if not isinstance(rules, AlternatingOffers):
            raise TypeError(
                f"SPEPlayer plays alternating-offers bargaining; got the rules of "
                f"{type(rules).__name__} (seat it in the 'bargaining' model)"
            )
        self.rules = rules
        self._policy = solve(rules, self.ties).policy

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Check that the agents observe positions (rows of the rules' columns)."""
        if not (
            isinstance(observation_space, gym.spaces.Box)
            and observation_space.shape == (len(COLUMNS),)
        ):
            raise TypeError(
                "SPEPlayer reads bargaining positions (the model's observation='position', a "
                f"Box of shape ({len(COLUMNS)},)); got {observation_space}"
            )
        super().bind(n_agents, observation_space, action_space, seed)

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The equilibrium move at each position (0 where the game is over)."""
        self._check(obs)
        if self.rules is None:
            raise RuntimeError(
                "SPEPlayer has no game to play: the population hands it the bargaining model's "
                "rules at bind time (or call use_rules(rules))"
            )
        positions = np.asarray(obs, dtype=np.int64)
        return self._policy[self.rules.state_index(positions)]

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """The equilibrium move where the agent may move (it is always a legal one)."""
        return self.greedy_masked(obs, legal)

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """The equilibrium move, 0 for agents that do not move now."""
        moves = self.greedy(obs)
        movers = legal.any(axis=1)
        return np.where(movers, moves, 0)

    def __repr__(self) -> str:
        return f"SPEPlayer(ties={self.ties!r})"
