"""DQN: known-answer targets, the learner contract, replay of valid steps only, learning a maze
(MLP and CNN)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")  # the Python 3.12 leg tests without torch

from socialrl_models.maze import MazeModel  # noqa: E402

from socialrl import simulate  # noqa: E402
from socialrl.learners.batches import Transitions  # noqa: E402
from socialrl.learners.dqn import DQN, DQNConfig, dqn_targets  # noqa: E402
from socialrl.learners.replay import ReplayBuffer  # noqa: E402
from socialrl.registry import make_learner  # noqa: E402
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
    with pytest.raises(TypeError, match="takes no parameter 'learning_rate'; allowed: lr"):
        make_learner("dqn", {"learning_rate": 0.1})


def test_keyword_hyperparameters_are_kept_in_a_typed_config() -> None:
    learner = make_learner("dqn", {"hidden": [32], "epsilon": 0.2, "double": True})
    assert isinstance(learner.config, DQNConfig) and learner.learns
    assert learner.config.hidden == (32,) and learner.config.double
    assert learner.config.epsilon(10**6) == 0.2


# ---------------------------------------------------------------------- replay of valid steps
#: Agent 0 is active on even steps, agent 1 on every fifth, agent 2 never.
ACTIVE = np.array([[t % 2 == 0, t % 5 == 0, False] for t in range(40)])


def filled_buffer() -> ReplayBuffer:
    """A buffer whose observations are the step numbers, with the activity of ACTIVE."""
    buffer = ReplayBuffer(64, 3, gym.spaces.Discrete(100))
    for t, mask in enumerate(ACTIVE):
        step = np.full(3, t)
        zeros = np.zeros(3, dtype=bool)
        buffer.add(Transitions(step, step % 2, step * 0.5, step + 1, zeros, zeros, mask))
    return buffer


def test_per_agent_minibatches_hold_only_steps_in_which_the_agent_was_active() -> None:
    buffer, rng = filled_buffer(), np.random.default_rng(0)
    drawn = [buffer.sample_per_agent(32, rng) for _ in range(200)]
    obs = np.concatenate([batch.obs for batch in drawn], axis=1)
    valid = np.concatenate([batch.valid for batch in drawn], axis=1)
    assert valid[:2].all() and not valid[2].any()  # agent 2 has nothing to learn from
    assert set(obs[0]) == set(range(0, 40, 2)) and set(obs[1]) == set(range(0, 40, 5))
    # uniform over each agent's valid steps: 6,400 draws over 20 and 8 steps
    for agent, steps in ((0, 20), (1, 8)):
        counts = np.unique(obs[agent], return_counts=True)[1]
        np.testing.assert_allclose(counts / counts.sum(), 1 / steps, atol=0.25 / steps)
    np.testing.assert_array_equal(drawn[0].reward, drawn[0].obs * 0.5)  # fields stay aligned


def test_pooled_minibatches_hold_only_valid_steps() -> None:
    buffer, rng = filled_buffer(), np.random.default_rng(0)
    batch = buffer.sample_pooled(500, rng)
    assert batch.valid.all() and batch.obs.shape == (500,)
    assert set(batch.obs) == set(range(0, 40, 2)) | set(range(0, 40, 5))


def test_an_always_inactive_agent_keeps_its_network() -> None:
    """Independent networks: an agent that never moved must not learn (it did, before the fix:
    its minibatches were drawn from steps in which it was inactive)."""
    learner = DQN(**{**SMALL, "learning_starts": 0, "train_every": 1}, shared=False)
    learner.bind(3, gym.spaces.Discrete(4), gym.spaces.Discrete(2), np.random.SeedSequence(0))
    before = {k: v.copy() for k, v in learner.state_dict().items() if k.startswith("q.")}
    rng, mask = np.random.default_rng(0), np.array([True, False, True])
    for _ in range(20):
        obs = rng.integers(4, size=3)
        reward, nxt = rng.normal(size=3), rng.integers(4, size=3)
        learner.learn(obs, learner.act(obs), reward, nxt, np.zeros(3, bool), mask=mask)
    after = learner.state_dict()
    for key, old in before.items():
        np.testing.assert_array_equal(after[key][1], old[1], err_msg=key)
        assert not np.array_equal(after[key][0], old[0]), key


def _small_maze_dqn(**options: Any) -> DQN:
    """A DQN that learns the 3 × 4 maze ``SMALL_MAZE`` in 3,000 steps of 4 walkers."""
    return DQN(
        lr=1e-3,
        gamma=0.9,
        learning_starts=200,
        target_update_interval=200,
        buffer_size=5000,
        epsilon={"kind": "linear", "start": 1.0, "end": 0.05, "steps": 1500},
        **options,
    )


SMALL_MAZE = "S...\n.##.\n...G"


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "independent"])
def test_dqn_learns_a_small_maze(shared: bool) -> None:
    layout = SMALL_MAZE
    learner = _small_maze_dqn(shared=shared)
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
    layout = SMALL_MAZE
    learner = _small_maze_dqn(network="cnn")
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
