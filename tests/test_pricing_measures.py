"""Competition-authority measures of learned prices (models/pricing/measures.py): known answers.

Grim trigger on a two-price market is a Nash equilibrium exactly when δ clears the threshold
computed by hand; the grid's static Nash pair is subgame perfect; a pair that ignores
deviations is not; a forced deviation's value, the punishment depth and the periods until
the market is back on its cycle match hand-made paths; and a real run's tables hold them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from socialrl_models.pricing import PricingModel, states
from socialrl_models.pricing.measures import (
    best_responses,
    deviation_value,
    forgiveness,
    histories,
    punishment,
)

from socialrl import simulate
from socialrl.learners import QLearning

LOW, HIGH = 0, 1


@pytest.mark.core
def test_histories_are_numbered_as_firm_0_sees_them() -> None:
    weights = states.state_weights(3, 4, 2)
    every = histories(3, 4, 2)
    assert every.shape == (4**6, 2, 3)
    np.testing.assert_array_equal(states.encode(every, weights)[:, 0], np.arange(4**6))


def _two_price_market() -> tuple[PricingModel, float, float, float]:
    """A duopoly with prices {1.5, 1.9}: collusive, deviation and punishment profits."""
    model = PricingModel(n_markets=1, prices=[1.5, 1.9], rng=0)
    profit = lambda a, b: float(model._profits_of(np.array([[a, b]]))[0, 0])  # noqa: E731
    return model, profit(HIGH, HIGH), profit(LOW, HIGH), profit(LOW, LOW)


def _grim() -> np.ndarray:
    """Both firms: high if last period both were high, else low; ``[1, S, 2]``."""
    every = histories(2, 2, 1)
    both_high = (every[:, 0, 0] == HIGH) & (every[:, 0, 1] == HIGH)
    action = np.where(both_high, HIGH, LOW)
    return np.stack([action, action], axis=-1)[None]


@pytest.mark.core
def test_grim_trigger_is_an_equilibrium_exactly_above_the_hand_threshold() -> None:
    model, collude, deviate, punish = _two_price_market()
    assert deviate > collude > punish  # a prisoner's dilemma on the grid
    # π_H/(1−δ) ≥ π_D + δ π_L/(1−δ)  ⇔  δ ≥ (π_D − π_H)/(π_D − π_L)
    threshold = (deviate - collude) / (deviate - punish)
    high_high = HIGH + 2 * HIGH  # firm 0's number of the history (H, H)
    for delta, expected in ((threshold + 0.01, True), (threshold - 0.01, False)):
        result = best_responses(model.payoffs, _grim(), 2, 1, delta)
        assert bool(result.optimal[0, 0, high_high]) is expected, delta
        assert result.value[0, 0, high_high] == pytest.approx(collude / (1 - delta))
        if not expected:  # the best response deviates once, then lives with the punishment
            best = deviate + delta * punish / (1 - delta)
            assert result.best_value[0, 0, high_high] == pytest.approx(best)


@pytest.mark.core
def test_the_static_nash_pair_is_subgame_perfect_and_a_deaf_collusive_pair_is_not() -> None:
    model = PricingModel(n_markets=1, m=7, rng=0)
    m = model.n_prices
    grid_profits = model.payoffs.reshape(2, m, m)  # [firm, a_1, a_0]: index Σ a_j m^j
    nash = [
        (a, b)
        for a in range(m)
        for b in range(m)
        if grid_profits[0, b, :].argmax() == a and grid_profits[1, :, a].argmax() == b
    ]
    assert nash, "the grid has a pure Nash pair"
    a, b = nash[0]
    constant = np.broadcast_to(np.array([a, b]), (1, m**2, 2)).copy()
    result = best_responses(model.payoffs, constant, m, 1, 0.95)
    assert result.optimal.all()
    deaf = np.full((1, m**2, 2), m - 1)  # always the top price, whatever happened
    assert not best_responses(model.payoffs, deaf, m, 1, 0.95).optimal.any()


@pytest.mark.core
def test_a_two_period_deviation_by_hand() -> None:
    # profits 0.4 then 0.3, then the strategy's value 5 from the history after it; δ = 0.9
    value = deviation_value(np.array([[0.4, 0.3, 9.9]]), np.array([5.0]), 2, 0.9)
    assert value[0] == pytest.approx(0.4 + 0.9 * 0.3 + 0.81 * 5.0)


@pytest.mark.core
def test_punishment_depth_and_forgiveness_of_a_hand_path() -> None:
    # the rival's price: 1.8 before, the deviation at τ 1, cuts to 1.5 and 1.6, back at τ 4
    rival = np.array([[1.8, 1.8, 1.5, 1.6, 1.8, 1.8]])
    depth, share = punishment(rival, np.array([1.8]), p_nash=1.47)
    assert depth[0] == pytest.approx(0.3)
    assert share[0] == pytest.approx(0.3 / 0.33)
    on_cycle = np.array([[True, False, False, False, True, True]])
    np.testing.assert_array_equal(forgiveness(on_cycle, 1), [3])
    np.testing.assert_array_equal(forgiveness(on_cycle, 2), [2])
    np.testing.assert_array_equal(forgiveness(np.array([[True, False, False]]), 1), [-1])


def test_a_real_run_writes_the_measures() -> None:
    learner = QLearning(
        alpha=0.15, gamma=0.9, epsilon={"kind": "exponential", "beta": 1e-3}, init="model"
    )
    out = simulate(
        PricingModel,
        {"n_markets": 6, "m": 5, "deviation_periods": 3},
        {"firm": learner},
        steps=20_000,
        stop_when_stable=1_000,
        seed=2,
    )
    markets, eq, impulse = (out.extra[t] for t in ("markets", "equilibrium", "impulse"))
    assert len(eq) == 12 and (eq["discount"] == 0.9).all()  # the learners' own γ
    assert (eq["value"] <= eq["best_value"] + 1e-9).all()
    assert eq["best_response_share"].between(0, 1).all()
    assert (eq["gain_on_path_pct"] >= 0).all()
    per = markets.drop_duplicates("market")
    assert per["nash_on_path"].isin([True, False]).all()
    assert (per["punishment_depth"] >= 0).all()
    assert (per["punishment_length"] >= -1).all()
    assert per["deviation_gain_pct"].notna().all()
    # three forced periods, then as many free ones as with one: 3 + 25 − 1 after τ 0
    assert impulse["tau"].max() == 27
    model = PricingModel(n_markets=1, m=5, rng=0)
    first = impulse[(impulse["market"] == 0) & impulse["tau"].between(1, 3)]
    deviator = first[first["firm"] == 0]["price"].to_numpy()
    rival = first[first["firm"] == 1]["price"].to_numpy()
    for p0, p1 in zip(deviator, rival, strict=True):  # firm 0 at its static best response
        j = int(np.flatnonzero(np.isclose(model.grid[1], p1))[0])
        trial = np.array([[a, j] for a in range(5)])
        best = model._profits_of(trial)[:, 0].argmax()
        assert p0 == pytest.approx(model.grid[0, best])


def test_random_demand_leaves_the_equilibrium_columns_empty() -> None:
    out = simulate(
        PricingModel,
        {"n_markets": 2, "m": 3, "demand_shock": 0.05},
        {"firm": QLearning(epsilon=0.5)},
        steps=200,
        seed=0,
    )
    assert out.extra["equilibrium"]["best_response_share"].isna().all()
    assert out.extra["markets"]["nash_on_path"].isna().all()


@pytest.mark.core
def test_a_deviation_of_no_periods_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="deviation_periods must be an integer ≥ 1"):
        PricingModel(deviation_periods=0)


def test_markets_judged_and_not_judged_stack_into_one_study(tmp_path: Path) -> None:
    """Random demand leaves the verdicts unknown; such runs still stack with judged ones."""
    from socialrl_models.pricing import study_summary

    from socialrl.study import load_results, run_study
    from tests.study_helpers import pricing_study, write_toml

    data = pricing_study("judged", n_markets=3, seed=5)
    data["sweep"] = {"grid": {"model.demand_shock": [0.0, 0.05]}}
    run_study(write_toml(tmp_path / "judged.toml", data), out=tmp_path, backend="sequential")
    results = load_results(tmp_path / "judged")
    markets = results.table("markets")
    shocked = markets["model.demand_shock"] > 0
    assert markets.loc[shocked, "nash_on_path"].isna().all()
    assert markets.loc[~shocked, "nash_on_path"].notna().all()
    outcomes = study_summary(results)["outcomes"].set_index("model.demand_shock")
    assert np.isnan(outcomes.loc[0.05, "nash_share"])
    assert 0.0 <= outcomes.loc[0.0, "nash_share"] <= 1.0
