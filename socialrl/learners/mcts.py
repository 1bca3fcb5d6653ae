"""Plain Monte Carlo tree search: UCT with random play-outs (the search learner's baseline).

Kocsis & Szepesvári (2006); Browne et al. (2012) survey it. Before each move the agent grows a
tree from the present position by ``simulations`` cycles — walk down by the UCT score
``Q(s,a) + c √(ln N(s) / N(s,a))``, add one node, value it by ``rollouts`` random play-outs,
back the payoffs up — and plays the most visited move. It knows the rules (a planner,
:class:`~socialrl.capabilities.RulesPlanning`) and nothing else: no network, no learning, so
the strength it reaches is what search alone buys, the yardstick for AlphaZero's network.

Many games search at once (:mod:`socialrl.learners.tree_search`): every agent that has to move
in a step gets its tree in the same batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.games import GameRules, check_moves, handed_rules
from socialrl.learners.base import Checkpointing, rng_state_array, set_rng_state
from socialrl.learners.tree_search import check_positions, most_visited_moves, rollout_evaluator

__all__ = ["MCTS", "MCTSConfig"]


@dataclass(frozen=True)
class MCTSConfig:
    """Hyperparameters of plain MCTS.

    Attributes:
        simulations: Search cycles per move (≥ 1); strength grows with them.
        c: UCT's exploration constant (√2 for payoffs in [0, 1]; boards pay in [−1, 1]).
        rollouts: Random play-outs that value each new node (their mean).

    """

    simulations: int = 200
    c: float = math.sqrt(2.0)
    rollouts: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.simulations, bool) or int(self.simulations) != self.simulations:
            raise ValueError(f"simulations must be an integer ≥ 1, got {self.simulations!r}")
        if self.simulations < 1:
            raise ValueError(f"simulations must be an integer ≥ 1, got {self.simulations!r}")
        if not self.c >= 0.0:
            raise ValueError(f"c must be ≥ 0, got {self.c!r}")
        if isinstance(self.rollouts, bool) or int(self.rollouts) != self.rollouts:
            raise ValueError(f"rollouts must be an integer ≥ 1, got {self.rollouts!r}")
        if self.rollouts < 1:
            raise ValueError(f"rollouts must be an integer ≥ 1, got {self.rollouts!r}")


class MCTS(Checkpointing):
    """UCT search with random play-outs for the agents of a group (a planner, not a learner).

    Args:
        simulations, c, rollouts: See :class:`MCTSConfig`.

    """

    name = "mcts"
    learns = False

    def __init__(
        self, simulations: int = 200, c: float = math.sqrt(2.0), rollouts: int = 1
    ) -> None:
        self.config = MCTSConfig(simulations, c, rollouts)
        self._rules: GameRules | None = None
        self._rng = np.random.default_rng(0)
        self.n_agents = 0
        self.n_actions = 0

    # ------------------------------------------------------------------ protocol
    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Seed the play-outs' generator; the rules come with :meth:`use_rules`."""
        self.n_agents = int(n_agents)
        self.n_actions = int(action_space.n)
        self._rng = np.random.default_rng(seed)

    def use_rules(self, rules: GameRules) -> None:
        """Plan with these rules (the population hands over the model's)."""
        check_moves(rules, self.n_actions, "MCTS")
        self._rules = rules

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Search every position that has a move and play the most visited move."""
        return self.act_masked(obs, self._planning_rules().legal(obs))

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The same search, ties broken towards the lowest move."""
        return self.greedy_masked(obs, self._planning_rules().legal(obs))

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """Search where ``legal`` has a move (the agents to move now); others get 0."""
        return self._decide(obs, legal, self._rng)

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """As :meth:`act_masked`, ties to the lowest move (the play-outs still draw)."""
        return self._decide(obs, legal, None)

    def learn(self, *args: Any, **kwargs: Any) -> None:
        """Search does not learn: every move is planned afresh."""

    def diagnostics(self) -> dict[str, float]:
        """The search budget (constant)."""
        return {"simulations": float(self.config.simulations)}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Only the play-outs' generator."""
        return {"rng": rng_state_array(self._rng)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore the play-outs' generator."""
        set_rng_state(self._rng, state["rng"])

    # ------------------------------------------------------------------ search
    def _planning_rules(self) -> GameRules:
        return handed_rules(self._rules, "MCTS")

    def _decide(
        self, obs: np.ndarray, legal: np.ndarray, ties: np.random.Generator | None
    ) -> np.ndarray:
        rules = self._planning_rules()
        obs, legal = check_positions(obs, legal, self.n_agents, self.n_actions)
        cfg = self.config
        evaluate = rollout_evaluator(rules, self._rng, cfg.rollouts)
        return most_visited_moves(rules, obs, legal, evaluate, cfg.simulations, "uct", cfg.c, ties)

    def __repr__(self) -> str:
        cfg = self.config
        return f"MCTS(simulations={cfg.simulations}, c={cfg.c:g}, rollouts={cfg.rollouts})"
