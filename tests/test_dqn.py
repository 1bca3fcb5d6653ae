"""DQN: known-answer targets, the learner contract, learning a maze (MLP and CNN)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the Python 3.12 leg tests without torch

from socialrl_models.maze import MazeModel  # noqa: E402

from socialrl import simulate  # noqa: E402
from socialrl.learners.dqn import DQN, dqn_targets  # noqa: E402
from tests.contracts import LearnerContract  # noqa: E402

SMALL = {
    "learning_starts": 10,
    "batch_size": 8,
    "buffer_size": 200,
    "train_every": 2,
    "target_update_interval": 20,
    "hidden": (16,),
}


class TestSharedDQNContract(LearnerContract):
    def make(self) -> DQN:
        return DQN(**SMALL, epsilon=0.3)


class TestIndependentDQNContract(LearnerContract):
    def make(self) -> DQN:
        return DQN(**SMALL, epsilon=0.3, shared=False, double=True, tau=0.5)


def test_dqn_target_by_hand() -> None:
    rewards = torch.tensor([1.0, -1.0, 0.5])
    terminated = torch.tensor([False, True, False])
    next_q_target = torch.tensor([[2.0, 3.0], [10.0, 10.0], [4.0, -1.0]])
    # r + γ max_a' Q⁻(s', a') (1 − terminated), γ = 0.9
    expected = torch.tensor([1.0 + 0.9 * 3.0, -1.0, 0.5 + 0.9 * 4.0])
    torch.testing.assert_close(dqn_targets(rewards, terminated, next_q_target, 0.9), expected)


def test_double_dqn_target_by_hand() -> None:
    rewards = torch.tensor([1.0, 0.0])
    terminated = torch.tensor([False, False])
    next_q_target = torch.tensor([[2.0, 3.0], [5.0, 1.0]])
    next_q_online = torch.tensor([[9.0, 0.0], [0.0, 9.0]])  # picks a' = 0, then a' = 1
    expected = torch.tensor([1.0 + 0.5 * 2.0, 0.0 + 0.5 * 1.0])
    got = dqn_targets(rewards, terminated, next_q_target, 0.5, next_q_online)
    torch.testing.assert_close(got, expected)


def test_bad_hyperparameters_are_named() -> None:
    with pytest.raises(ValueError, match="DQN lr is out of range"):
        DQN(lr=0)
    with pytest.raises(ValueError, match="DQN tau is out of range"):
        DQN(tau=1.5)
    with pytest.raises(ValueError, match="loss must be 'huber' or 'mse'"):
        DQN(loss="l1")
    with pytest.raises(TypeError, match="DQN takes no parameter 'learning_rate'; allowed: lr"):
        DQN(learning_rate=0.1)


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "independent"])
def test_dqn_learns_a_small_maze(shared: bool) -> None:
    layout = "S...\n.##.\n...G"
    learner = DQN(
        lr=1e-3,
        gamma=0.9,
        learning_starts=200,
        target_update_interval=200,
        buffer_size=5000,
        epsilon={"kind": "linear", "start": 1.0, "end": 0.05, "steps": 1500},
        shared=shared,
    )
    res = simulate(
        "maze",
        {"layout": layout, "n_walkers": 4, "max_episode_steps": 50},
        {"walker": learner},
        steps=3000,
        seed=0,
        record_every=500,
    )
    np.testing.assert_array_equal(
        res.agents["greedy_path_length"], MazeModel(layout).optimal_path_length
    )


@pytest.mark.slow
def test_cnn_dqn_learns_from_grid_images() -> None:
    layout = "S...\n.##.\n...G"
    learner = DQN(
        lr=1e-3,
        gamma=0.9,
        learning_starts=200,
        target_update_interval=200,
        buffer_size=5000,
        epsilon={"kind": "linear", "start": 1.0, "end": 0.05, "steps": 1500},
        network="cnn",
    )
    params = {"layout": layout, "n_walkers": 4, "max_episode_steps": 50, "observation": "grid"}
    res = simulate("maze", params, {"walker": learner}, steps=3000, seed=0, record_every=500)
    assert learner.config.network == "cnn"
    np.testing.assert_array_equal(
        res.agents["greedy_path_length"], MazeModel(layout).optimal_path_length
    )


def test_same_seed_same_weights() -> None:
    def train(seed: int) -> dict[str, np.ndarray]:
        learner = DQN(**SMALL)
        simulate(
            "maze", {"layout": "dyna", "n_walkers": 3}, {"walker": learner}, steps=150, seed=seed
        )
        return learner.state_dict()

    a, b, c = train(1), train(1), train(2)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert any(not np.array_equal(a[k], c[k]) for k in a if k.startswith("q."))
