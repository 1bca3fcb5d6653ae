"""The exact solver as a player: the anchor that cannot be beaten (:class:`PerfectPlayer`).

A perfect player never loses a game that can be held: in every position it plays a move that
keeps the position's game value (:mod:`.theory`). Among those it draws uniformly at random
from its seeded generator, so that perfect play still covers many lines of a game (a learner
that only met one fixed perfect line would be tested on that line alone).

It is a fixed policy in the lab's sense — a learner that does not learn — and reads the
rules the way a planner does: the population hands them over
(:class:`~socialrl.capabilities.RulesPlanning`) once it is bound to a board model, and its
observations are the positions themselves. A study names it ``learner = "perfect_player"``
(the board plugin offers it as a strategy), e.g. for one seat of every game::

    [[population]]
    role = "player"
    agents = { seat = 1 }
    learner = "perfect_player"
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.games import GameRules, sample_legal
from socialrl.learners.fixed import _Stateless

from .rules import KInARow
from .theory import Solver, solver_for

__all__ = ["PerfectPlayer"]


class PerfectPlayer(_Stateless):
    """Uniformly random among the optimal moves of every position (an exact solver's play).

    Args:
        fastest: Among the moves that keep the value, only those that also win fastest (or
            lose slowest); by default every value-keeping move (every drawing move of a drawn
            position, every winning one of a won position).

    """

    name = "perfect_player"

    def __init__(self, fastest: bool = False) -> None:
        super().__init__()
        self.fastest = bool(fastest)
        self._solver: Solver | None = None

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Seed the generator; a board's rules may already be known (then checked to fit)."""
        super().bind(n_agents, observation_space, action_space, seed)
        if self._solver is not None:
            self._check_fits(self._solver.rules)

    def use_rules(self, rules: GameRules) -> None:
        """Solve ``rules`` from now on: a k-in-a-row board small enough to search."""
        if not isinstance(rules, KInARow):
            raise TypeError(
                f"PerfectPlayer solves k-in-a-row boards (the 'board' model); got the rules "
                f"{type(rules).__name__}"
            )
        self._check_fits(rules)
        self._solver = solver_for(rules)

    def _check_fits(self, rules: KInARow) -> None:
        """The role's actions must be the board's moves (when the group is bound)."""
        if self.n_actions and self.n_actions != rules.n_actions():
            raise ValueError(
                f"PerfectPlayer: the role has {self.n_actions} actions, {rules!r} has "
                f"{rules.n_actions()} moves"
            )

    def _solving(self) -> Solver:
        """The solver of the rules handed over, or a one-line error before any."""
        if self._solver is None:
            raise RuntimeError(
                "PerfectPlayer has no rules yet: bind it through a Population to a board "
                "model (or call use_rules)"
            )
        return self._solver

    def optimal(self, obs: np.ndarray) -> np.ndarray:
        """``bool[n, A]``: the optimal moves of each observed position."""
        return self._solving().optimal_moves(obs, fastest=self.fastest)

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """A uniformly random optimal move where ``legal`` has moves (others: 0, unused)."""
        self._check(obs)
        movers = np.flatnonzero(legal.any(axis=1))
        best = np.zeros_like(legal)
        if movers.size:
            best[movers] = self.optimal(obs[movers]) & legal[movers]
        return sample_legal(best, self._rng)

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """Perfect play has no exploration to leave out: the same as :meth:`act_masked`."""
        return self.act_masked(obs, legal)

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Optimal moves where the rules say the position is live (no mask given)."""
        rules = self._solving().rules
        self._check(obs)
        return self.act_masked(obs, rules.legal(rules.check_states(obs, "obs")))

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The same as :meth:`act`."""
        return self.act(obs)

    def __repr__(self) -> str:
        return f"PerfectPlayer(fastest={self.fastest})"
