"""Known answers: Q-learning populations learn shortest paths (Sutton & Barto; the lecture)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from socialrl_models.maze import MazeModel
from socialrl_models.maze.summary import episodes_to_optimal

from socialrl import QLearning, simulate

pytestmark = pytest.mark.core


def test_dyna_maze_greedy_policy_walks_the_14_step_shortest_path() -> None:
    """Sutton & Barto's Example 8.1 settings: reward 1 at the goal, γ 0.95, α 0.1, ε 0.1.

    With zero initial values a learner that has found *a* path rarely explores a shorter one
    (it can take thousands of episodes); optimistic initial values (Q₀ = 1, the largest
    return) make it try every route first (Sutton & Barto, §2.6).
    """
    learner = QLearning(alpha=0.1, gamma=0.95, epsilon=0.1, init=1.0)
    res = simulate(
        "maze",
        {"layout": "dyna", "n_walkers": 8, "step_reward": 0.0, "goal_reward": 1.0},
        {"walker": learner},
        steps=25_000,
        seed=0,
        record_every=5_000,
    )
    final = res.agents
    assert (final["greedy_path_length"] == 14).all(), final["greedy_path_length"].tolist()
    assert final["greedy_optimal"].all()


def test_minus_one_per_step_maze_learns_the_bfs_length() -> None:
    """The lecture's maze (−1 per step): the learned greedy path is as short as BFS says."""
    model = MazeModel("lecture")
    res = simulate(
        "maze",
        {"layout": "lecture", "n_walkers": 10},
        {"walker": QLearning(alpha=0.5, gamma=0.95, epsilon=0.1)},
        steps=6_000,
        seed=1,
    )
    np.testing.assert_array_equal(res.agents["greedy_path_length"], model.optimal_path_length)


def test_random_maze_learned_by_a_shared_table() -> None:
    """Walkers pooling experience in one table learn a seeded 5×5 perfect maze."""
    params = {"layout": "random:5x5", "n_walkers": 20}
    res = simulate(
        "maze",
        params,
        {"walker": QLearning(alpha=0.5, epsilon=0.2, shared=True)},
        steps=3_000,
        seed=2,
    )
    assert res.agents["greedy_optimal"].all()


def test_learned_values_approach_value_iteration() -> None:
    """On a tiny corridor, Q-learning's state values converge to the optimal ones."""
    from socialrl_models.maze import value_iteration

    learner = QLearning(alpha=0.2, gamma=0.9, epsilon=0.3)
    simulate("maze", {"layout": "S...G", "n_walkers": 4}, {"walker": learner}, steps=4_000, seed=3)
    v_star, _ = value_iteration(MazeModel("S...G").mdp, gamma=0.9)
    np.testing.assert_allclose(learner.values()[:, :4], np.tile(v_star[:4], (4, 1)), atol=1e-3)


def test_episodes_to_optimal_reads_the_final_streak() -> None:
    agents = pd.DataFrame(
        {
            "agent": [0, 0, 0, 0, 1, 1, 1, 1],
            "step": [10, 20, 30, 40] * 2,
            "episodes": [1, 2, 3, 4] * 2,
            "greedy_optimal": [True, False, True, True, False, False, False, False],
        }
    )
    out = episodes_to_optimal(agents)
    assert out["learned"].tolist() == [True, False]
    assert out.loc[0, "step"] == 30 and out.loc[0, "episodes"] == 3
    assert np.isnan(out.loc[1, "episodes"])
