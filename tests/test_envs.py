"""The three views of the contract on the registered maze: Gymnasium, PettingZoo, batched."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test, parallel_seed_test
from socialrl_models.maze.env import parallel_env

import socialrl
from socialrl import MultiAgentEnv, QLearning, SingleAgentEnv

pytestmark = pytest.mark.core


def test_registered_maze_passes_check_env() -> None:
    env = gym.make("socialrl/Maze-v0")
    check_env(env.unwrapped)
    env.close()


def test_make_with_module_prefix_and_model_params() -> None:
    env = gym.make(
        "socialrl:socialrl/Maze-v0",
        layout="dyna",
        step_reward=0.0,
        goal_reward=1.0,
        render_mode="ansi",
    )
    obs, _ = env.reset(seed=3)
    mdp = env.unwrapped.model.mdp
    assert tuple(mdp.cells[obs]) == (2, 0)  # the Dyna maze's start
    assert env.observation_space == gym.spaces.Discrete(54 - 7)  # open cells only
    text = env.render()
    assert text is not None and "W" in text
    env.close()


def test_reset_seed_reproduces_episode() -> None:
    def episode(seed: int) -> list[tuple[int, float]]:
        env = gym.make("socialrl/Maze-v0", layout="random:5x5")
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        trace = [(int(obs), 0.0)]
        for _ in range(50):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            trace.append((int(obs), reward))
            if terminated or truncated:
                break
        return trace

    assert episode(1) == episode(1)
    assert episode(1) != episode(2)


def test_focal_walker_among_others_driven_by_a_frozen_learner() -> None:
    trained = QLearning(epsilon=0.0)
    trained.bind(3, gym.spaces.Discrete(47), gym.spaces.Discrete(4), np.random.SeedSequence(0))
    trained.q[:, :, 3] = 1.0  # the others always go right
    env = SingleAgentEnv("maze", layout="dyna", n_walkers=3, focal=1, others=trained)
    env.reset(seed=0)
    env.step(0)  # focal goes up
    assert env.model is not None
    positions = [w.position for w in env.model.role_agents("walker")]
    assert positions == [(2, 1), (1, 0), (2, 1)]


def test_gym_env_refuses_invalid_action() -> None:
    env = gym.make("socialrl/Maze-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match="not in the action space"):
        env.step(7)


def test_terminal_observation_is_the_goal() -> None:
    env = SingleAgentEnv("maze", layout="S.G")
    env.reset(seed=0)
    env.step(3)
    obs, reward, terminated, truncated, _ = env.step(3)
    assert terminated and not truncated and obs == 2 and reward == -1.0


def test_pettingzoo_api_and_seed_tests() -> None:
    parallel_api_test(
        parallel_env(layout="dyna", n_walkers=3, max_episode_steps=40), num_cycles=300
    )
    parallel_seed_test(lambda: parallel_env(layout="dyna", n_walkers=3, max_episode_steps=40))


def test_pettingzoo_agents_leave_when_done() -> None:
    env = parallel_env(layout="S.G", n_walkers=2)
    env.reset(seed=0)
    env.step({"walker_0": 3, "walker_1": 2})
    _, _rewards, terms, _, _ = env.step({"walker_0": 3, "walker_1": 2})
    assert terms == {"walker_0": True, "walker_1": False}
    assert env.agents == ["walker_1"]
    with pytest.raises(KeyError, match="no action for live agents"):
        env.step({"walker_0": 3})


def test_batched_env_same_step_autoreset() -> None:
    env = MultiAgentEnv("maze", {"layout": "S.G", "n_walkers": 2})
    assert env.autoreset_mode is gym.vector.AutoresetMode.SAME_STEP
    obs = env.reset(seed=0)
    np.testing.assert_array_equal(obs["walker"], [0, 0])
    env.step({"walker": np.array([3, 2])})
    out = env.step({"walker": np.array([3, 2])})["walker"]
    np.testing.assert_array_equal(out.terminated, [True, False])
    np.testing.assert_array_equal(out.next_obs, [2, 0])
    np.testing.assert_array_equal(out.obs, [0, 0])
    with pytest.raises(KeyError, match="no actions for role 'walker'"):
        env.step({})
    with pytest.raises(TypeError, match="must be integers"):
        env.step({"walker": np.array([0.5, 1.0])})
    env.close()


def test_unknown_model_name_lists_allowed() -> None:
    allowed = (
        "auction, bargaining, board, coordination, gymnasium, maze, pricing, sequential_pricing"
    )
    with pytest.raises(KeyError, match=f"unknown model 'mase'; allowed: {allowed}"):
        MultiAgentEnv("mase")


def test_package_exports_version() -> None:
    assert socialrl.__version__
