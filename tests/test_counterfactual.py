"""Counterfactual ("synchronous") Q-learning (Asker, Fershtman & Pakes 2022): known answers.

The update of every action of the visited state, from what each would have brought, must be
the played-cell update when there is one action, the hand-computed update on a 2-action
table (targets from the table *before* the update), fed by a model that reports exactly its
own profits for the played prices — and refused by a model that cannot compute them.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from socialrl_models.maze import MazeModel
from socialrl_models.pricing import PricingModel

from socialrl import simulate
from socialrl.learners import QLearning
from socialrl.learners.counterfactual_q import counterfactual_targets
from socialrl.population import Population
from socialrl.run.repeated_game import compiled_sessions
from socialrl.study import SpecError, run_study
from tests.study_helpers import tiny_study, write_toml


def _bound(n_states: int, n_actions: int, update: str, q: np.ndarray) -> QLearning:
    learner = QLearning(alpha=0.5, gamma=0.9, epsilon=0.0, update=update)
    learner.bind(
        q.shape[0],
        gym.spaces.Discrete(n_states),
        gym.spaces.Discrete(n_actions),
        np.random.SeedSequence(0),
    )
    learner.q[:] = q
    return learner


@pytest.mark.core
def test_with_one_action_the_counterfactual_update_is_the_played_update() -> None:
    rng = np.random.default_rng(3)
    q0 = rng.normal(size=(4, 3, 1))
    played, counterfactual = _bound(3, 1, "played", q0), _bound(3, 1, "counterfactual", q0)
    for _ in range(20):
        obs, nxt = rng.integers(3, size=4), rng.integers(3, size=4)
        reward, done = rng.normal(size=4), rng.random(4) < 0.2
        actions = np.zeros(4, dtype=np.int64)
        played.learn(obs, actions, reward, nxt, done)
        counterfactual.learn_counterfactual(obs, actions, reward[:, None], nxt[:, None], done)
    np.testing.assert_array_equal(played.q, counterfactual.q)


@pytest.mark.core
def test_every_cell_of_the_visited_row_by_hand() -> None:
    # One agent, 2 states × 2 actions. In state 0 it played action 1; action 0 would have
    # earned 1 and stayed in state 0, action 1 earned 2 and led to state 1.
    q0 = np.array([[[1.0, 3.0], [5.0, 2.0]]])
    learner = _bound(2, 2, "counterfactual", q0)
    learner.learn_counterfactual(
        np.array([0]),
        np.array([1]),
        np.array([[1.0, 2.0]]),
        np.array([[0, 1]]),
        np.array([False]),
    )
    # Targets from the table before the update: 1 + 0.9·max(1, 3) = 3.7; 2 + 0.9·max(5, 2) = 6.5.
    # Q(0,0) = 1 + 0.5 (3.7 − 1) = 2.35; Q(0,1) = 3 + 0.5 (6.5 − 3) = 4.75. State 1 untouched.
    np.testing.assert_allclose(learner.q[0], [[2.35, 4.75], [5.0, 2.0]])
    assert learner.diagnostics()["td_error"] == pytest.approx(3.5)  # the played cell's TD
    np.testing.assert_allclose(
        counterfactual_targets(
            q0, np.array([0]), np.array([[1.0, 2.0]]), np.array([[0, 1]]), np.array([False]), 0.9
        ),
        [[3.7, 6.5]],
    )


@pytest.mark.core
def test_a_terminal_step_does_not_bootstrap() -> None:
    learner = _bound(2, 2, "counterfactual", np.array([[[0.0, 0.0], [10.0, 10.0]]]))
    learner.learn_counterfactual(
        np.array([0]), np.array([0]), np.array([[1.0, 3.0]]), np.array([[1, 1]]), np.array([True])
    )
    np.testing.assert_allclose(learner.q[0, 0], [0.5, 1.5])


@pytest.mark.core
@pytest.mark.parametrize("shock", [0.0, 0.05])
def test_the_market_reports_its_own_profits_for_the_played_prices(shock: float) -> None:
    model = PricingModel(n_markets=3, n_firms=3, m=5, demand_shock=shock, rng=4)
    actions = np.array([0, 4, 2, 3, 3, 3, 1, 0, 4])
    model.set_actions("firm", actions)
    model.step()
    rewards, next_obs = model.counterfactual_outcomes("firm")
    out = model.outcome("firm")
    slots = np.arange(9)
    np.testing.assert_allclose(rewards[slots, actions], out.reward)
    np.testing.assert_array_equal(next_obs[slots, actions], out.next_obs)
    # Firm 1 of market 0 at price 0 instead of 4: the market's profit of that price vector
    trial = np.array([[0, 0, 2]])
    shocked = None if model._last_shock is None else model._last_shock[:1]
    expected = model._profits_of(trial, shocked)[0, 1]
    assert rewards[1, 0] == pytest.approx(expected)
    # … and the state firm 1 would see: its own latest price first
    history = model.history[:1].copy()
    history[0, 0, 1] = 0
    weights = model._weights
    assert next_obs[1, 0] == (history.reshape(1, -1) @ weights.reshape(3, -1).T)[0, 1]


def test_a_model_without_counterfactuals_is_refused_at_bind() -> None:
    model = MazeModel(layout="S..G", n_walkers=2, rng=0)
    population = Population({"walker": QLearning(update="counterfactual")})
    with pytest.raises(ValueError, match="cannot compute what unplayed actions would have"):
        population.bind(model, np.random.SeedSequence(0))


def test_a_counterfactual_study_in_the_maze_is_refused_before_any_run(tmp_path: Path) -> None:
    data = tiny_study("cf")
    data["population"][0]["params"]["update"] = "counterfactual"
    study = write_toml(tmp_path / "cf.toml", data)
    with pytest.raises(SpecError) as caught:
        run_study(study, out=tmp_path / "out", backend="sequential")
    assert "\n" not in str(caught.value)
    assert "counterfactual" in str(caught.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.core
def test_an_unknown_update_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="update must be one of 'played', 'counterfactual'"):
        QLearning(update="all")


def test_counterfactual_learners_take_the_step_loop() -> None:
    model = PricingModel(n_markets=2, rng=0)
    population = Population({"firm": QLearning(init="model", update="counterfactual")})
    population.bind(model, np.random.SeedSequence(0))
    assert compiled_sessions(model, population) is None
    learner = QLearning(update="counterfactual")
    with pytest.raises(RuntimeError, match="learn_counterfactual"):
        learner.bind(1, gym.spaces.Discrete(2), gym.spaces.Discrete(2), np.random.SeedSequence(0))
        learner.learn(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1, dtype=bool))


@pytest.mark.slow
def test_counterfactual_learners_price_lower_than_played_cell_learners() -> None:
    """Asker, Fershtman & Pakes's finding, on 16 markets with fast-decaying exploration."""
    deltas = {}
    for update in ("played", "counterfactual"):
        learner = QLearning(
            alpha=0.15,
            gamma=0.95,
            epsilon={"kind": "exponential", "beta": 4e-5},
            init="model",
            update=update,
        )
        out = simulate(
            PricingModel,
            {"n_markets": 16},
            {"firm": learner},
            steps=300_000,
            stop_when_stable=20_000,
            seed=5,
        )
        deltas[update] = float(out.extra["markets"]["delta"].mean())
    assert deltas["played"] > 0.6
    assert deltas["counterfactual"] < deltas["played"] - 0.2
