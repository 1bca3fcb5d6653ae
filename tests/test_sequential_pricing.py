"""Sequential pricing (Klein 2021) and learning between one's own moves: known answers.

The market's rules and benchmarks by hand; a 3-period hand trace of who moves, which prices
stand and who earns what; the turn ledger's returns and spans; Klein's update
``π(t) + δ π(t+1) + δ² max Q(s′, ·)`` reproduced cell by cell through a population; the
greedy cycle of scripted strategies (a focal price, an Edgeworth cycle); and one-line
refusals of what the model cannot do.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from socialrl_models.sequential_pricing import (
    KleinMarket,
    SequentialPricingModel,
    profits,
    static_equilibria,
    study_summary,
)
from socialrl_models.sequential_pricing.final_tables import learned_outcomes
from socialrl_models.sequential_pricing.learned import greedy_cycle

from socialrl import simulate
from socialrl.learners import DynaQ, QLearning
from socialrl.population import Population
from socialrl.study import SpecError, run_study
from socialrl.turns import TurnLedger
from tests.contracts import ModelContract
from tests.study_helpers import write_toml

pytestmark = pytest.mark.core


class TestSequentialPricingContract(ModelContract):
    model = SequentialPricingModel
    params = {"n_markets": 3, "k": 4, "max_episode_steps": 7}


# ------------------------------------------------------------------------------ the market
def test_profits_cheaper_takes_all_and_a_tie_splits() -> None:
    own = profits(np.array([0.25, 0.25, 0.25]), np.array([0.5, 0.25, 0.0]), cost=0.0)
    np.testing.assert_allclose(own, [0.25 * 0.75, 0.25 * 0.75 / 2, 0.0])
    assert profits(np.array(0.5), np.array(1.0), cost=0.2) == pytest.approx(0.3 * 0.5)


def test_klein_benchmarks_by_hand() -> None:
    market = KleinMarket(6, 0.0)
    np.testing.assert_allclose(market.prices, [0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])
    assert market.p_monopoly == 0.5
    assert market.profit_monopoly == pytest.approx(0.125)
    # (0, 0) and (1/6, 1/6) are the grid's static equilibria: at 2/6 undercutting to 1/6
    # pays (5/36 > 8/72); at 1/6 undercutting to 0 earns nothing.
    assert static_equilibria(market.prices, 0.0).tolist() == [[0, 0], [1, 1]]
    assert market.profit_nash == pytest.approx(5 / 72)


def test_three_periods_by_hand() -> None:
    model = SequentialPricingModel(n_markets=1, k=6, rng=0)
    model.price_index[:] = [[3, 3]]
    trace = []
    for actions in ([1, 5], [6, 1], [4, 6]):  # firm 0, firm 1, firm 0 move
        model.set_actions("firm", np.array(actions))
        model.step()
        out = model.outcome("firm")
        trace.append((model.price_index[0].tolist(), model.moved().tolist(), out))
    (p0, m0, o0), (p1, m1, o1), (p2, m2, o2) = trace
    # Period 0: firm 0 cuts to 1/6 (firm 1's action is ignored); it takes the market.
    assert p0 == [1, 3] and m0 == [True, False]
    np.testing.assert_allclose(o0.reward, [1 / 6 * 5 / 6, 0.0])
    assert o0.obs.tolist() == [3, 1]  # each sees its rival's price
    # Period 1: firm 1 matches at 1/6; they split.
    assert p1 == [1, 1] and m1 == [False, True]
    np.testing.assert_allclose(o1.reward, [5 / 72, 5 / 72])
    # Period 2: firm 0 jumps to 4/6; firm 1 takes the market at 1/6.
    assert p2 == [4, 1] and m2 == [True, False]
    np.testing.assert_allclose(o2.reward, [0.0, 5 / 36])
    assert o2.obs.tolist() == [1, 4]
    assert model.period == 3 and model.mover() == 1


# ------------------------------------------------------------------------------ the ledger
def test_the_ledger_sums_discounted_rewards_between_moves() -> None:
    ledger = TurnLedger(2, gamma=0.5)
    obs, acts = np.array([10, 20]), np.array([1, 2])
    assert ledger.record(obs, acts, np.array([True, False]), np.array([1.0, 9.0])) == []
    assert ledger.record(obs + 1, acts + 1, np.array([False, True]), np.array([2.0, 3.0])) == []
    (closed,) = ledger.record(obs + 2, acts + 2, np.array([True, False]), np.array([4.0, 5.0]))
    assert closed.ready.tolist() == [True, False]
    assert closed.obs[0] == 10 and closed.actions[0] == 1 and closed.next_obs[0] == 12
    assert closed.returns[0] == pytest.approx(1.0 + 0.5 * 2.0)  # r_t + γ r_{t+1}
    assert closed.periods[0] == 2 and not closed.terminated[0]
    # Agent 1 opened at period 1 with 3, then collected γ · 5; agent 0 reopened with 4.
    assert ledger.returns.tolist() == [4.0, 3.0 + 0.5 * 5.0]


def test_the_end_of_an_episode_closes_every_open_transition() -> None:
    ledger = TurnLedger(2, gamma=0.9)
    ledger.record(np.array([0, 0]), np.array([1, 1]), np.array([True, False]), np.zeros(2))
    ended = (np.array([True, True]), np.array([False, False]), np.array([7, 8]))
    closed = ledger.record(
        np.array([1, 1]), np.array([2, 2]), np.array([False, True]), np.array([1.0, 2.0]), ended
    )
    (last,) = closed
    assert last.ready.tolist() == [True, True] and last.terminated.tolist() == [True, True]
    assert last.returns.tolist() == pytest.approx([0.9 * 1.0, 2.0])
    assert last.periods.tolist() == [2, 1] and last.next_obs.tolist() == [7, 8]
    assert not ledger.open.any()


def test_one_period_spans_are_the_ordinary_update() -> None:
    def bound() -> QLearning:
        learner = QLearning(alpha=0.5, gamma=0.9, epsilon=0.0)
        space = gym.spaces.Discrete(3)
        learner.bind(2, space, space, np.random.SeedSequence(0))
        learner.q[:] = np.arange(18.0).reshape(2, 3, 3)
        return learner

    a, b = bound(), bound()
    args = (np.array([0, 2]), np.array([1, 0]), np.array([1.0, -1.0]), np.array([2, 1]))
    a.learn(*args, np.array([False, True]), np.array([False, False]))
    b.learn_over(*args, np.array([1, 1]), np.array([False, True]))
    np.testing.assert_array_equal(a.q, b.q)


def test_klein_update_through_a_population() -> None:
    """Firm 0's move at t = 0 closes at t = 2: π(t) + δ π(t+1) + δ² max Q(s′, ·)."""
    alpha, delta = 0.3, 0.95
    model = SequentialPricingModel(n_markets=1, k=6, rng=0)
    model.price_index[:] = [[3, 3]]
    learner = QLearning(alpha=alpha, gamma=delta, epsilon=0.0)
    population = Population({"firm": learner})
    population.bind(model, np.random.SeedSequence(0))
    learner.q[1, 4, :] = [0.0, 0.2, 0.7, 0.1, 0.0, 0.0, 0.0]  # firm 1 later sees rival at 4
    learner.q[0, 1, :] = [0.5, 0.0, 0.0, 0.9, 0.0, 0.0, 0.0]  # firm 0's next state: rival at 1
    obs = {"firm": model.observe("firm")}
    rewards = []
    for actions in ([1, 5], [1, 1], [4, 6], [0, 2]):
        acts = {"firm": np.array(actions)}
        model.set_actions("firm", acts["firm"])
        model.step()
        out = {"firm": model.outcome("firm")}
        population.learn(obs, acts, out)
        rewards.append(out["firm"].reward.copy())
        obs = {"firm": out["firm"].obs}
    r = np.array(rewards)
    # Firm 0: state 3 (rival at 3/6), cut to 1; rival replied 1, so s′ = 1.
    target0 = r[0, 0] + delta * r[1, 0] + delta**2 * 0.9
    assert learner.q[0, 3, 1] == pytest.approx(alpha * target0)
    # Firm 1: state 1 (rival at 1/6) at t = 1, matched at 1; firm 0 replied 4, so s′ = 4.
    target1 = r[1, 1] + delta * r[2, 1] + delta**2 * 0.7
    assert learner.q[1, 1, 1] == pytest.approx(alpha * target1)
    # Firm 0's second move (t = 2, state 1, price 4) is still open: nothing else moved.
    assert np.count_nonzero(learner.q[0]) == 2 + 1 and np.count_nonzero(learner.q[1]) == 3 + 1


# ------------------------------------------------------------------------------ what was learned
def test_greedy_cycle_focal_price_and_edgeworth_cycle() -> None:
    m = 7

    def match(prices: np.ndarray, seat: int) -> np.ndarray:  # match the rival, at least 3/6
        return np.maximum(prices[:, 1 - seat], 3)

    pairs, length, _, _ = greedy_cycle(np.array([[5, 0]]), 0, match, m)
    assert length.tolist() == [2] and (pairs[:2, 0] == 3).all()

    def edgeworth(prices: np.ndarray, seat: int) -> np.ndarray:  # undercut by one, reset at 1
        rival = prices[:, 1 - seat]
        return np.where(rival <= 1, 5, rival - 1)

    pairs, length, _, _ = greedy_cycle(np.array([[5, 5]]), 0, edgeworth, m)
    cycle = pairs[: length[0], 0]
    # [4,5] [4,3] [2,3] [2,1] [5,1] [5,4] [3,4] [3,2] [1,2] [1,5] and again [4,5], firm 1 next.
    assert length[0] == 10
    assert cycle.min() == 1 and cycle.max() == 5


class _Scripted:
    """Greedy replies ``σ_i(rival price)`` given as a table, for the measures' known answers."""

    def __init__(self, replies: list[list[int]]) -> None:
        self.replies = np.array(replies)  # [seat, rival price]

    def __call__(self, prices: np.ndarray, seat: int) -> np.ndarray:
        return self.replies[seat][prices[:, 1 - seat]]


def _final(play: _Scripted, start: list[int], delta: float = 0.95) -> dict[str, pd.DataFrame]:
    model = SequentialPricingModel(n_markets=1, k=6, rng=0)
    model.price_index[:] = [start]
    return learned_outcomes(model, play, delta)


def test_a_focal_price_held_by_a_price_war_threat_is_a_nash_equilibrium() -> None:
    """Keep 3/6 if the rival does; anything else: go to 0 (a grim war at zero profit).

    Against it, undercutting to 2/6 earns 2/6 · 4/6 = 0.222 once and then 0 for ever, while
    keeping 3/6 earns 0.125 each period: 0.125 (1 + δ) / (1 − δ²) = 2.5 at δ 0.95. So 3/6 is
    the best reply on the path; off the path (rival at 0) every price earns 0.
    """
    grim = [0, 0, 0, 3, 0, 0, 0]  # reply to each rival price
    tables = _final(_Scripted([grim, grim]), [3, 3])
    market = tables["markets"].iloc[0]
    assert market["outcome"] == "focal" and market["price_mean"] == 0.5
    assert market["delta"] == pytest.approx(1.0)
    assert bool(market["nash_on_path"])
    # The forced undercut: firm 0 to 2/6 (its static best reply to 3/6), firm 1 answers 0.
    impulse = tables["impulse"].pivot(index="tau", columns="firm", values="price")
    assert impulse.loc[1, 0] == pytest.approx(2 / 6) and impulse.loc[2, 1] == 0.0
    assert market["punishment_depth"] == pytest.approx(0.5)  # from 3/6 down to 0
    assert market["punishment_length"] == -1  # the war never ends: no return to the cycle
    stay = 0.125 / (1 - 0.95)
    deviate = (2 / 6) * (4 / 6)  # then 0 for ever
    assert market["deviation_gain_pct"] == pytest.approx(100 * (deviate - stay) / stay)


def test_a_focal_price_without_punishment_is_not_an_equilibrium() -> None:
    """Keep 3/6 whatever the rival does: undercutting to 2/6 pays for ever."""
    stubborn = [3, 3, 3, 3, 3, 3, 3]
    tables = _final(_Scripted([stubborn, stubborn]), [3, 3])
    market = tables["markets"].iloc[0]
    assert market["outcome"] == "focal" and not bool(market["nash_on_path"])
    assert market["deviation_gain_pct"] > 0 and market["punishment_depth"] == 0.0
    # τ 1 the undercut, τ 2 firm 1 stays at 3/6, τ 3 firm 0 is back at 3/6: the cycle again.
    assert market["punishment_length"] == 2
    gains = tables["equilibrium"]["gain_on_path_pct"]
    assert (gains > 0).all()


def test_learners_reach_supra_competitive_outcomes() -> None:
    """A short Klein run: Δ above the static equilibrium in most markets (Klein 2021)."""
    learner = QLearning(alpha=0.3, gamma=0.95, epsilon={"kind": "exponential", "beta": 3e-4})
    results = simulate(
        SequentialPricingModel, {"n_markets": 40, "k": 6}, learner, steps=30_000,
        record_every=10_000, seed=3,
    )  # fmt: skip
    markets = dict(results.tables())["markets"]
    per_market = markets[markets.firm == 0]
    assert per_market["delta"].mean() > 0.3
    assert set(per_market["outcome"]) <= {"focal", "cycle"}
    assert (per_market["cycle_periods"] >= 2).all()


# ------------------------------------------------------------------------------ refusals
def test_more_than_two_firms_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"n_firms must be 2: sequential pricing alternates"):
        SequentialPricingModel(n_firms=3)


def test_a_learner_that_cannot_learn_between_turns_is_refused_at_bind() -> None:
    model = SequentialPricingModel(n_markets=2, rng=0)
    population = Population({"firm": DynaQ()})  # a model-based learner: one-step updates
    with pytest.raises(ValueError, match="cannot learn from transitions between its own moves"):
        population.bind(model, np.random.SeedSequence(0))


def test_a_counterfactual_learner_is_refused_where_firms_move_in_turn() -> None:
    model = SequentialPricingModel(n_markets=2, rng=0)
    population = Population({"firm": QLearning(update="counterfactual")})
    with pytest.raises(ValueError, match="cannot compute what unplayed actions"):
        population.bind(model, np.random.SeedSequence(0))


def test_a_three_firm_study_is_refused_before_any_run(tmp_path: Path) -> None:
    study = write_toml(
        tmp_path / "klein.toml",
        {
            "name": "klein",
            "model": {"name": "sequential_pricing", "params": {"n_firms": 3}},
            "population": [{"role": "firm", "learner": "q_learning"}],
            "run": {"steps": 10},
        },
    )
    with pytest.raises(SpecError) as caught:
        run_study(study, out=tmp_path / "out", backend="sequential")
    assert "\n" not in str(caught.value) and "n_firms must be 2" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_a_klein_study_runs_and_summarises(tmp_path: Path) -> None:
    from socialrl.study import load_results

    study = write_toml(
        tmp_path / "klein.toml",
        {
            "name": "klein",
            "seed": 1,
            "replications": 2,
            "model": {"name": "sequential_pricing", "params": {"n_markets": 5}},
            "population": [{"role": "firm", "learner": "q_learning",
                            "params": {"alpha": 0.3, "epsilon": {"kind": "exponential",
                                                                 "beta": 1e-3}}}],
            "sweep": {"grid": {"model.k": [4, 6]}},
            "run": {"steps": 6_000, "record_every": 3_000},
        },
    )  # fmt: skip
    run_study(study, out=tmp_path / "out", backend="sequential")
    results = load_results(tmp_path / "out" / "klein")
    outcomes = study_summary(results)["outcomes"]
    assert outcomes["markets"].tolist() == [10, 10]  # the unit: markets, over both runs
    assert ((outcomes["focal_share"] >= 0) & (outcomes["focal_share"] <= 1)).all()
    assert {"delta_mean", "delta_se", "nash_share", "deviation_gain_pct_mean"} <= set(outcomes)
    assert "converged_share" not in outcomes  # fixed-length runs: nothing converged or not
