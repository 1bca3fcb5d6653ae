"""Tree search on a game with a known solution (one-pile Nim), and the planners' contract.

Nim's answer is closed-form (Bouton 1901): the mover loses exactly where ``pile % (take+1) == 0``
and otherwise wins by leaving a multiple of ``take + 1``. Plain MCTS must find those moves
from search alone (AlphaZero, which learns them, is tested in ``tests/test_alphazero.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import pytest

from socialrl.games import GameRules, IllegalMove, check_legal, play_out, sample_legal
from socialrl.learners.base import Learner
from socialrl.learners.fixed import RandomPolicy
from socialrl.learners.mcts import MCTS, MCTSConfig
from socialrl.learners.tree_search import dirichlet_noise, rollout_evaluator, search, visit_policy
from tests.contracts import LearnerContract
from tests.tiny_games import Nim, play_games

pytestmark = pytest.mark.core
SPACE = gym.spaces.Box(-1, 30, shape=(3,), dtype=np.int64)


def positions(game: Nim, piles: range) -> np.ndarray:
    return np.array([[p, 0, -1] for p in piles], dtype=np.int64)


def bound(learner: Any, game: Nim, n: int, seed: int = 0) -> Any:
    learner.bind(n, SPACE, gym.spaces.Discrete(game.n_actions()), np.random.SeedSequence(seed))
    learner.use_rules(game)
    return learner


# ---------------------------------------------------------------------------- the rules' helpers
def test_nim_is_game_rules() -> None:
    assert isinstance(Nim(), GameRules)


def test_sample_legal_is_uniform_over_legal_moves_only() -> None:
    legal = np.array([[0, 1, 0, 1], [1, 1, 1, 1], [0, 0, 0, 0]], dtype=bool)
    rng = np.random.default_rng(0)
    counts = np.zeros((3, 4))
    for _ in range(4000):
        counts[np.arange(3), sample_legal(legal, rng)] += 1
    assert counts[0, [0, 2]].sum() == 0 and counts[2, 0] == 4000
    np.testing.assert_allclose(counts[0, [1, 3]] / 4000, 0.5, atol=0.03)
    np.testing.assert_allclose(counts[1] / 4000, 0.25, atol=0.03)


def test_check_legal_names_the_move_and_the_legal_ones_in_one_line() -> None:
    legal = np.array([[True, False], [False, True]])
    check_legal(legal, np.array([0, 0]), np.array([True, False]), "game")  # row 1 does not move
    with pytest.raises(IllegalMove, match=r"illegal move 1 in game 0 .*legal moves there: \[0\]"):
        check_legal(legal, np.array([1, 1]), np.array([True, True]), "game")
    with pytest.raises(IllegalMove) as refused:
        check_legal(legal, np.array([0, 7]), np.array([True, True]), "game")
    assert "\n" not in str(refused.value)


def test_random_play_outs_end_every_game_with_a_winner() -> None:
    game = Nim(9, 2)
    payoffs = play_out(game, game.initial(500), np.random.default_rng(0))
    assert payoffs.shape == (500, 2)
    np.testing.assert_array_equal(payoffs.sum(axis=1), 0.0)
    assert set(np.unique(payoffs[:, 0])) == {-1.0, 1.0}


def test_visit_policy_and_root_noise() -> None:
    visits = np.array([[10.0, 30.0, 0.0], [5.0, 5.0, 0.0]])
    np.testing.assert_allclose(visit_policy(visits, 1.0), [[0.25, 0.75, 0], [0.5, 0.5, 0]])
    np.testing.assert_allclose(visit_policy(visits, 0.0), [[0, 1, 0], [0.5, 0.5, 0]])
    legal = np.array([[True, True, False], [True, False, True]])
    priors = legal / legal.sum(axis=1, keepdims=True)
    noisy = dirichlet_noise(0.3, 0.25, np.random.default_rng(0))(priors, legal)
    np.testing.assert_allclose(noisy.sum(axis=1), 1.0)
    assert (noisy[~legal] == 0).all() and not np.allclose(noisy, priors)


# ---------------------------------------------------------------------------- plain MCTS
def test_mcts_finds_the_winning_move_in_every_winning_position() -> None:
    game = Nim(8, 3)
    piles = [p for p in range(1, 9) if game.winning_moves(p)]
    mcts = bound(MCTS(simulations=600), game, len(piles))
    moves = mcts.greedy(positions(game, piles))
    for pile, move in zip(piles, moves, strict=True):
        assert move in game.winning_moves(pile), f"pile {pile}: played {move}"


def test_search_values_lost_positions_as_lost() -> None:
    game = Nim(8, 3)
    trees = search(
        game,
        positions(game, [4, 8]),
        rollout_evaluator(game, np.random.default_rng(0)),
        800,
        "uct",
        1.4,
    )
    mean = trees.total[:, 0].sum(axis=1) / trees.visits[:, 0].sum(axis=1)
    assert (mean < 0).all(), f"the mover of a lost pile should expect to lose, got {mean}"


def test_batched_search_gives_each_game_its_own_tree() -> None:
    game = Nim(8, 3)
    piles = [5, 6, 7]
    together = bound(MCTS(simulations=400), game, 3, seed=1).greedy(positions(game, piles))
    for k, pile in enumerate(piles):
        alone = bound(MCTS(simulations=400), game, 1, seed=1).greedy(positions(game, [pile]))
        assert together[k] in game.winning_moves(pile) and alone[0] in game.winning_moves(pile)


def test_mcts_beats_random_play() -> None:
    game = Nim(9, 2)  # 9 % 3 == 0: the first player is lost against perfect play
    mcts = bound(MCTS(simulations=200), game, 200)
    rand = RandomPolicy()
    rand.bind(200, SPACE, gym.spaces.Discrete(2), np.random.SeedSequence(1))
    payoffs = play_games(game, rand, mcts, 200)  # random moves first, search second
    assert (payoffs[:, 1] > 0).mean() > 0.9


def test_mcts_config_refuses_bad_values_in_one_line() -> None:
    for bad in ({"simulations": 0}, {"simulations": 1.5}, {"c": -1.0}, {"rollouts": 0}):
        with pytest.raises(ValueError) as refused:
            MCTSConfig(**bad)
        assert next(iter(bad)) in str(refused.value) and "\n" not in str(refused.value)


def test_planners_refuse_to_act_without_rules() -> None:
    mcts = MCTS()
    mcts.bind(2, SPACE, gym.spaces.Discrete(2), np.random.SeedSequence(0))
    with pytest.raises(RuntimeError, match="rules"):
        mcts.act(np.zeros((2, 3), dtype=np.int64))


# ---------------------------------------------------------------------------- contracts
class _Planner:
    """The contract's setting for planners: they observe positions of a game (Nim here) and
    need its rules. A mixin, not a contract subclass (it names no learner)."""

    n_agents: ClassVar[int] = 6
    observation_space: ClassVar[gym.Space[Any]] = SPACE
    action_space: ClassVar[gym.spaces.Discrete] = gym.spaces.Discrete(3)
    game: ClassVar[Nim] = Nim(10, 3)

    def make(self) -> Learner:
        raise NotImplementedError

    def bound(self, seed: int = 0) -> Learner:
        learner = self.make()
        bound(learner, self.game, self.n_agents, seed)
        return learner

    def batch(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        n = self.n_agents
        piles = rng.integers(1, 11, size=n)
        obs = np.stack([piles, rng.integers(0, 2, size=n), np.full(n, -1)], axis=1)
        actions = sample_legal(self.game.legal(obs), rng)
        nxt = self.game.play(obs, actions)
        return obs, actions, rng.normal(size=n), nxt, self.game.terminal(nxt)

    def train(self, learner: Learner, steps: int = 50, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(min(steps, 8)):  # searches are slower than table look-ups
            obs, _, reward, nxt, term = self.batch(rng)
            actions = learner.act(obs)
            learner.learn(obs, actions, reward, nxt, term, truncated=None)

    def test_illegal_moves_are_never_chosen(self) -> None:
        learner = self.bound()
        obs = self.batch(np.random.default_rng(4))[0]
        legal = self.game.legal(obs)
        legal[0] = False  # agent 0 does not move now
        for pick in (learner.act_masked, learner.greedy_masked):  # type: ignore[attr-defined]
            actions = pick(obs, legal)
            movers = legal.any(axis=1)
            assert legal[np.flatnonzero(movers), actions[movers]].all()


class TestMCTSContract(_Planner, LearnerContract):
    def make(self) -> Learner:
        return MCTS(simulations=16)
