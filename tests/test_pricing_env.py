"""``socialrl/PricingMarket-v0``: one learning firm against a given rival, for other libraries."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from socialrl_models.pricing import PricingModel
from socialrl_models.pricing.env import parallel_env

import socialrl  # noqa: F401  (registers the ids)
from socialrl.learners import QLearning
from socialrl.population import Population


@pytest.mark.core
@pytest.mark.parametrize("rival", ["nash", "monopoly", "random", 3])
def test_check_env_accepts_every_rival(rival: object) -> None:
    env = gym.make("socialrl/PricingMarket-v0", rival=rival, max_episode_steps=30)
    check_env(env.unwrapped)
    env.close()


@pytest.mark.core
def test_a_fixed_rival_prices_at_its_benchmark() -> None:
    env = gym.make("socialrl/PricingMarket-v0", rival="nash")
    env.reset(seed=0)
    _, reward, *_ = env.step(14)
    model = env.unwrapped.model
    nash_index = int(np.abs(model.grid[1] - model.bench.p_nash[1]).argmin())
    assert model.history[0, 0, 1] == nash_index
    assert reward == pytest.approx(model.market.profits(model.prices()[0])[0])
    env.close()


@pytest.mark.core
def test_a_frozen_learner_can_be_the_rival() -> None:
    """A trained Q-learner acts greedily for the rival firm and never changes."""
    model = PricingModel(n_markets=1, rng=0)
    pop = Population({"firm": QLearning(init="model")})
    pop.bind(model, np.random.SeedSequence(0))
    trained = pop.bound_groups[0][2]
    before = trained.q.copy()
    env = gym.make("socialrl/PricingMarket-v0", rival=trained, max_episode_steps=20)
    env.reset(seed=1)
    for _ in range(20):
        env.step(int(env.action_space.sample()))
    np.testing.assert_array_equal(trained.q, before)
    env.close()


@pytest.mark.core
def test_bad_rival_is_refused() -> None:
    with pytest.raises(ValueError, match="rival must be"):
        gym.make("socialrl/PricingMarket-v0", rival="collude")
    with pytest.raises(ValueError, match="rival grid index"):
        gym.make("socialrl/PricingMarket-v0", rival=15)


@pytest.mark.core
def test_pettingzoo_market_has_one_agent_per_firm() -> None:
    env = parallel_env(n_markets=2)
    observations, _ = env.reset(seed=0)
    assert sorted(observations) == ["firm_0", "firm_1", "firm_2", "firm_3"]
    env.close()


def test_stable_baselines3_learns_the_best_response_to_a_nash_rival() -> None:
    """SB3's DQN against a rival fixed at the Nash grid price learns to earn (almost) the
    static best-response profit (the rival ignores history, so the myopic reply is optimal)."""
    sb3 = pytest.importorskip("stable_baselines3")
    env = gym.make("socialrl/PricingMarket-v0", rival="nash", max_episode_steps=200)
    agent = sb3.DQN(
        "MlpPolicy",
        env,
        learning_rate=1e-3,
        gamma=0.5,
        buffer_size=10_000,
        learning_starts=500,
        exploration_fraction=0.5,
        policy_kwargs={"net_arch": [32]},
        seed=0,
        device="cpu",
        verbose=0,
    )
    agent.learn(total_timesteps=4_000, progress_bar=False)
    model = env.unwrapped.model
    grid, market = model.grid, model.market
    rival = grid[1, np.abs(grid[1] - model.bench.p_nash[1]).argmin()]
    profits = np.array([market.profits(np.array([p, rival]))[0] for p in grid[0]])
    obs, _ = env.reset(seed=5)
    action, _ = agent.predict(obs, deterministic=True)
    # the profit curve is flat near its top: within 3% of the best reply, and well above
    # what a random price earns on average
    assert profits[int(action)] >= 0.97 * profits.max()
    assert profits[int(action)] > profits.mean() + 0.5 * (profits.max() - profits.mean())
    env.close()
