"""AlphaZero on a game with a known solution (one-pile Nim): it learns the winning moves
into its network from self-play; its configuration and contract.

Nim (Bouton 1901): the mover loses exactly where ``pile % (take + 1) == 0``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the Python 3.12 leg tests without torch

from socialrl.learners.alphazero import AlphaZero, AlphaZeroConfig  # noqa: E402
from socialrl.learners.base import Learner  # noqa: E402
from tests.contracts import LearnerContract  # noqa: E402
from tests.test_search import _Planner, bound, positions  # noqa: E402
from tests.tiny_games import Nim, play_games  # noqa: E402

torch.set_num_threads(1)


def test_alphazero_learns_nim_from_self_play() -> None:
    game = Nim(15, 3)
    az = bound(AlphaZero(simulations=24, temperature_moves=3), game, 64, seed=1)
    for _ in range(12):
        play_games(game, az, az, 64)
    piles = range(1, 16)
    probs, values = az.policy_value(positions(game, piles))
    for pile, p, v in zip(piles, probs, values, strict=True):
        if game.winning_moves(pile):
            assert p.argmax() in game.winning_moves(pile), f"pile {pile}: prior {p}"
            assert v[0] > 0.2, f"pile {pile} is won for the mover, value {v}"
        elif pile <= 8:
            assert v[0] < -0.2, f"pile {pile} is lost for the mover, value {v}"
    assert az.diagnostics()["games"] == 12 * 64
    np.testing.assert_allclose(values.sum(axis=1), 0.0, atol=0.3)  # zero-sum, learned


def test_alphazero_is_reproducible_from_its_seed() -> None:
    game = Nim(7, 2)
    runs = []
    for _ in range(2):
        az = bound(AlphaZero(simulations=8, batch_size=32), game, 16, seed=3)
        play_games(game, az, az, 16)
        play_games(game, az, az, 16)
        runs.append(az.state_dict())
    for key, value in runs[0].items():
        np.testing.assert_array_equal(value, runs[1][key], err_msg=key)


def test_alphazero_config_refuses_bad_values_in_one_line() -> None:
    for bad in (
        {"simulations": 0},
        {"c_puct": 0},
        {"noise_fraction": 1.5},
        {"window": 0},
        {"temperature_moves": -1},
        {"hidden": ()},
    ):
        with pytest.raises(ValueError) as refused:
            AlphaZeroConfig(**bad)
        assert next(iter(bad)) in str(refused.value) and "\n" not in str(refused.value)


class TestAlphaZeroContract(_Planner, LearnerContract):
    def make(self) -> Learner:
        return AlphaZero(simulations=8, batch_size=16, hidden=(16,))
