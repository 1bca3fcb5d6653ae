"""AlphaZero's known answers on the lab's games, trained by self-play through the lab's own path.

- Tic-tac-toe is a draw with perfect play. An AlphaZero agent trained by self-play (one
  ``AlphaZero`` group driving both seats of 64 boards of ``BoardGameModel``) must never lose
  against the exact solver (``PerfectPlayer``: a random move among those keeping the game's
  value) in 100 games from each side.
- Bargaining (three rounds of alternating offers over a pie of 10 units): its first offer must
  lie within one unit of the subgame-perfect offer (backward induction on the grid,
  ``socialrl_models.bargaining.theory``), for δ = 0.5 and δ = 0.9.
- MCTS, search alone, finds the solver's move on the board's tactical positions.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")  # the Python 3.12 leg tests without torch

from socialrl_models.bargaining.rules import AlternatingOffers  # noqa: E402
from socialrl_models.bargaining.theory import spe_offer  # noqa: E402
from socialrl_models.board.rules import KInARow  # noqa: E402
from socialrl_models.board.solver_policy import PerfectPlayer  # noqa: E402
from socialrl_models.board.tactics import NAMES, TACTICS  # noqa: E402

from socialrl.learners.alphazero import AlphaZero  # noqa: E402
from socialrl.learners.mcts import MCTS  # noqa: E402
from socialrl.population import Group, Population  # noqa: E402
from socialrl.run.loop import simulate  # noqa: E402

torch.set_num_threads(1)


class Frozen(AlphaZero):
    """A trained AlphaZero's network, searching greedily and learning nothing (evaluation)."""

    learns = False

    def __init__(self, trained: AlphaZero, simulations: int) -> None:
        super().__init__(**{**asdict(trained.config), "simulations": simulations})
        assert trained.net is not None
        self._weights = trained.net.state_dict()

    def use_rules(self, rules: Any) -> None:
        """Build the network for the rules, then take the trained weights."""
        super().use_rules(rules)
        assert self.net is not None
        self.net.load_state_dict(self._weights)

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        return self.greedy_masked(obs, legal)


def self_play(model: str, params: dict[str, Any], steps: int, seed: int, **config: Any) -> Any:
    """Train one AlphaZero group on both seats of every game of ``model``; the learner."""
    learner = AlphaZero(**config)
    simulate(model, params, {"player": learner}, steps=steps, seed=seed, record_every=steps)
    return learner


@pytest.mark.slow
def test_alphazero_never_loses_tictactoe_against_the_solver() -> None:
    trained = self_play(
        "board", {"n_games": 64}, steps=900, seed=0, simulations=32, temperature_moves=3
    )
    assert trained.games >= 5000
    for first in (0, 1):  # the learner opens, then the solver opens
        population = Population(
            [
                Group(Frozen(trained, simulations=128), agents={"seat": 0}, name="alphazero"),
                Group(PerfectPlayer(), agents={"seat": 1}, name="solver"),
            ]
        )
        results = simulate(
            "board",
            {"n_games": 100, "first": first, "autoreset": False},
            population,
            steps=9,
            seed=first + 1,
            learn=False,
        )
        games: pd.DataFrame = results.extra["games"]
        assert len(games) == 100
        losses = int((games["winner"] == 1).sum())
        assert losses == 0, f"lost {losses} of 100 games (first mover: seat {first})"


@pytest.mark.parametrize("delta, spe", [(0.5, 7), (0.9, 9)])
def test_alphazero_first_offer_is_near_the_subgame_perfect_split(delta: float, spe: int) -> None:
    rules = AlternatingOffers(pie=10, delta=delta, horizon=3)
    assert spe_offer(rules) == spe
    trained = self_play(
        "bargaining",
        {"n_games": 64, "pie": 10, "delta": delta, "horizon": 3},
        steps=400,
        seed=3,
        simulations=64,
        temperature_moves=0,
        reuse=8.0,
    )
    openings = rules.initial(trained.n_agents)  # both seats of every game, as trained
    trained_offer = trained.greedy_masked(openings, rules.legal(openings))
    assert (np.abs(trained_offer - spe) <= 1).all(), f"first offers {np.unique(trained_offer)}"


def test_mcts_finds_the_solvers_move_on_tactical_positions() -> None:
    games: dict[str, list[tuple[str, Any]]] = {}
    for tactic, name in zip(TACTICS, NAMES, strict=True):
        games.setdefault(repr(sorted(tactic.params.items())), []).append((name, tactic))
    misses = []
    for group in games.values():  # the positions of one game, searched in one batch
        params = group[0][1].params
        rules = KInARow(**params)
        positions = np.stack([tactic.position for _, tactic in group]).astype(np.int64)
        mcts = MCTS(simulations=1500, c=1.0)
        space = gym.spaces.Box(0, 3, shape=(positions.shape[1],), dtype=np.int64)
        mcts.bind(
            len(group), space, gym.spaces.Discrete(rules.n_actions()), np.random.SeedSequence(0)
        )
        mcts.use_rules(rules)
        for (name, tactic), move in zip(group, mcts.greedy(positions), strict=True):
            if int(move) not in tactic.optimal:
                misses.append((name, int(move), tactic.optimal))
    assert not misses, f"MCTS missed the solver's move: {misses}"
