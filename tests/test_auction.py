"""Repeated auctions: payoffs and ties by hand, the one-shot benchmarks, bad input, learning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from socialrl_models.auction import AuctionModel
from socialrl_models.auction.final_tables import greedy_cycle, learned_bids
from socialrl_models.auction.theory import (
    Auction,
    bid_grid,
    dominance_counterexamples,
    expected_payoffs,
    prices_paid,
    pure_equilibria,
    realised_payoffs,
    second_price_truthful_is_dominant,
    truthful_bid,
    win_shares,
    winners,
)

from socialrl import simulate
from socialrl.learners import QLearning
from tests.contracts import ModelContract

pytestmark = pytest.mark.core


class TestAuctionContract(ModelContract):
    model = AuctionModel
    params = {"n_markets": 3, "m": 5, "max_episode_steps": 20}


class TestAuctionDisclosureContract(ModelContract):
    model = AuctionModel
    params = {"n_markets": 2, "n_bidders": 3, "m": 4, "disclosure": True, "reserve": 0.3,
              "format": "second", "max_episode_steps": 15}  # fmt: skip


class TestAuctionSharedTiesContract(ModelContract):
    model = AuctionModel
    params = {"n_markets": 2, "m": 5, "tie_break": "share", "reserve": 0.25}


def _rules(fmt: str = "first", reserve: float = 0.0, values: tuple[float, ...] = (1.0, 1.0),
           m: int = 11) -> Auction:  # fmt: skip
    return Auction(np.array(values), bid_grid(m, None, max(values)), fmt, reserve)


# ---------------------------------------------------------------------------- by hand
def test_ties_split_the_item_and_the_reserve_excludes_low_bids() -> None:
    bids = np.array([[0.5, 0.5, 0.2], [0.3, 0.7, 0.1], [0.2, 0.1, 0.0]])
    np.testing.assert_allclose(
        win_shares(bids, 0.0), [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    )
    np.testing.assert_allclose(win_shares(bids, 0.4), [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 0]])


def test_a_uniform_picks_among_the_tied_in_seat_order() -> None:
    bids = np.array([[0.5, 0.2, 0.5, 0.5]] * 4 + [[0.1, 0.1, 0.1, 0.1]])
    u = np.array([0.0, 0.34, 0.67, 0.999, 0.5])
    # leaders 0, 2, 3: ⌊3u⌋ = 0, 1, 2, 2; the last auction sells nothing at reserve 0.3
    np.testing.assert_array_equal(winners(bids, 0.3, u), [0, 2, 3, 3, -1])


def test_first_and_second_price_payments_and_payoffs() -> None:
    bids = np.array([[0.8, 0.3], [0.5, 0.5], [0.2, 0.1]])
    np.testing.assert_allclose(prices_paid(bids, "first", 0.0), bids)
    second_paid = prices_paid(bids, "second", 0.0)
    np.testing.assert_allclose(second_paid, [[0.3, 0.8], [0.5, 0.5], [0.1, 0.2]])
    reserve_paid = prices_paid(bids, "second", 0.4)
    np.testing.assert_allclose(reserve_paid, [[0.4, 0.8], [0.5, 0.5], [0.4, 0.4]])
    first, second = _rules("first"), _rules("second")
    np.testing.assert_allclose(expected_payoffs(bids, first), [[0.2, 0], [0.25, 0.25], [0.8, 0]])
    np.testing.assert_allclose(expected_payoffs(bids, second), [[0.7, 0], [0.25, 0.25], [0.9, 0]])
    # the tie of row 2 went to bidder 1: it gets all of 1 − 0.5
    won = np.array([0, 1, 0])
    np.testing.assert_allclose(realised_payoffs(bids, won, first), [[0.2, 0], [0, 0.5], [0.8, 0]])


def test_the_model_breaks_ties_at_random_with_its_rng() -> None:
    """2,000 tied auctions at bid 0.5: each bidder wins about half, the winner gets 0.5."""
    model = AuctionModel(n_markets=2000, m=11, rng=7)
    model.set_actions("bidder", np.full(4000, 5))
    model.step()
    payoff = model.outcome().reward.reshape(2000, 2)
    np.testing.assert_allclose(payoff.sum(axis=1), 0.5)
    share = (payoff[:, 0] > 0).mean()
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / 2000)
    again = AuctionModel(n_markets=2000, m=11, rng=7)
    again.set_actions("bidder", np.full(4000, 5))
    again.step()
    np.testing.assert_array_equal(again.outcome().reward, model.outcome().reward)
    other = AuctionModel(n_markets=2000, m=11, rng=8)
    other.set_actions("bidder", np.full(4000, 5))
    other.step()
    assert not np.array_equal(other.outcome().reward, model.outcome().reward)
    shared = AuctionModel(n_markets=3, m=11, tie_break="share", rng=7)
    shared.set_actions("bidder", np.full(6, 5))
    shared.step()
    np.testing.assert_allclose(shared.outcome().reward, 0.25)


def test_disclosure_reveals_the_winning_bid_or_that_nothing_sold() -> None:
    model = AuctionModel(n_markets=2, m=5, reserve=0.3, disclosure=True, rng=0)
    assert model.roles["bidder"].observation_space.n == 6  # type: ignore[attr-defined]
    np.testing.assert_array_equal(model.observe(), [5, 5, 5, 5])  # nothing revealed yet
    model.set_actions("bidder", np.array([3, 1, 1, 0]))  # bids 0.75/0.25; 0.25/0 < reserve
    model.step()
    np.testing.assert_array_equal(model.outcome().obs, [3, 3, 5, 5])
    np.testing.assert_allclose(model.outcome().reward, [0.25, 0, 0, 0])
    assert model.metrics()["winning_bid_mean"] == 0.75
    assert model.metrics()["revenue_mean"] == pytest.approx(0.375)
    assert AuctionModel(n_markets=2, m=5).observe().tolist() == [0, 0, 0, 0]


def test_a_second_price_winner_pays_the_reserve_above_the_other_bid() -> None:
    model = AuctionModel(n_markets=1, m=5, format="second", reserve=0.5, rng=0)
    model.set_actions("bidder", np.array([1, 3]))  # 0.25 and 0.75: pays max(0.25, 0.5)
    model.step()
    np.testing.assert_allclose(model.outcome().reward, [0.0, 0.5])


def test_initial_values_by_hand() -> None:
    """Bids {0, 1}, value 1, first price: bid 0 earns ½ (tie at 0) or 0, bid 1 always 0."""
    model = AuctionModel(n_markets=2, m=2, rng=0)
    q0 = model.initial_values("bidder", gamma=0.5)
    assert q0.shape == (4, 1, 2)
    np.testing.assert_allclose(q0[:, 0], [[0.5, 0.0]] * 4)  # (½ + 0)/2 / (1 − ½)


# ---------------------------------------------------------------------------- benchmarks
def test_first_price_one_shot_equilibria_on_the_grid() -> None:
    """Common value 1, step h = 1/18: both bid 1 − 2h, 1 − h or 1, and nothing else.

    At 1 − 2h each earns h (half of 2h); outbidding to 1 − h earns h too, no gain. At 1 − 3h
    each earns 1.5h and outbidding earns 2h: not an equilibrium. Any unequal profile lets
    the high bidder cut its bid, or the low one tie.
    """
    rules = _rules("first", m=19)
    found = rules.bids[pure_equilibria(rules)]
    np.testing.assert_allclose(found, [[16 / 18] * 2, [17 / 18] * 2, [1.0, 1.0]])


def test_second_price_truthful_bidding_is_weakly_dominant() -> None:
    for reserve in (0.0, 0.2):
        for values in ((1.0, 1.0), (1.0, 0.6), (1.0, 0.6, 0.3)):
            rules = _rules("second", reserve, values, m=11)
            assert second_price_truthful_is_dominant(rules), (reserve, values)


def test_first_price_truthful_bidding_is_not_dominant() -> None:
    rules = _rules("first", m=11)
    assert not second_price_truthful_is_dominant(rules)
    found = dominance_counterexamples(rules, 0, truthful_bid(rules, 0))
    # against a rival bidding 0, bidding 0.1 wins 0.9 where the truthful bid 1 wins 0
    assert (1, 0) in found


def test_a_dominated_bid_has_counterexamples_in_the_second_price_auction() -> None:
    rules = _rules("second", m=11)
    found = dominance_counterexamples(rules, 0, 5)  # shading to 0.5
    assert (10, 7) in found  # against 0.7, bidding 1 wins 0.3 where 0.5 loses


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_bidders": 1}, "n_bidders must be an integer ≥ 2"),
        ({"n_markets": 0}, "n_markets must be an integer ≥ 1"),
        ({"reserve": 1.5}, r"reserve \(1.5\) is above every value"),
        ({"reserve": -0.1}, "reserve must be a number ≥ 0"),
        ({"format": "third"}, "format must be 'first' or 'second'"),
        ({"m": 1}, "m .* must be an integer ≥ 2"),
        ({"bids": [0.5, 0.2]}, "bids must be at least 2 increasing numbers"),
        ({"values": [1.0, 0.5, 0.2]}, r"values must be one number or one per bidder \(2\)"),
        ({"values": -1.0}, "values must be positive numbers"),
        ({"tie_break": "coin"}, "tie_break must be 'random' or 'share'"),
        ({"disclosure": "yes"}, "disclosure must be true or false"),
        ({"max_episode_steps": 0}, "max_episode_steps must be a positive integer"),
    ],
)
def test_bad_input_is_a_one_line_error(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        AuctionModel(**params)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)


# ---------------------------------------------------------------------------- learned bids
def test_greedy_cycle_and_its_averages_by_hand() -> None:
    """m 3: bid (revealed + 1) mod 3, 0 with nothing revealed: the cycle 0 → 1 → 2 → 0."""
    model = AuctionModel(n_markets=2, m=3, disclosure=True, rng=0)

    def play(revealed: np.ndarray) -> np.ndarray:
        bid = np.where(revealed == 3, 0, (revealed + 1) % 3)
        return np.repeat(bid[:, None], 2, axis=1)

    profiles, length = greedy_cycle(model, play)
    np.testing.assert_array_equal(length, [3, 3])
    assert sorted(profiles[:3, 0, 0].tolist()) == [0, 1, 2]
    table = learned_bids(model, play)["markets"]
    np.testing.assert_allclose(table["bid"], 0.5)  # mean of 0, ½, 1
    np.testing.assert_allclose(table["revenue"], 0.5)
    np.testing.assert_allclose(table["win_share"], 0.5)
    np.testing.assert_allclose(table["surplus"], (0.5 + 0.25 + 0) / 3)  # ties: half of 1 − b
    assert not table["converged"].any()
    assert table["revenue_nash_max"].iloc[0] == 1.0


def test_the_compiled_loop_plays_the_shared_tie_auction_as_the_step_loop() -> None:
    def run(compiled: bool) -> tuple[QLearning, pd.DataFrame]:
        learner = QLearning(alpha=0.1, epsilon={"kind": "exponential", "beta": 1e-3}, init="model")
        res = simulate(
            AuctionModel,
            {"n_markets": 4, "m": 7, "tie_break": "share"},
            {"bidder": learner},
            steps=3000,
            seed=5,
            record_every=1000,
            stop_when_stable=500,
            compiled=compiled,
        )
        return learner, dict(res.tables())["markets"]

    (fast, fast_table), (slow, slow_table) = run(True), run(False)
    np.testing.assert_array_equal(fast.q_values(), slow.q_values())
    pd.testing.assert_frame_equal(fast_table, slow_table)
    assert AuctionModel(tie_break="share").repeated_game() is not None
    assert AuctionModel().repeated_game() is None  # random ties: random payoffs
    assert AuctionModel(tie_break="share", disclosure=True).repeated_game() is None


def _learned(fmt: str) -> pd.DataFrame:
    learner = QLearning(
        alpha=0.1, gamma=0.95, epsilon={"kind": "exponential", "beta": 2e-5}, init="model"
    )
    res = simulate(
        AuctionModel,
        {"n_markets": 30, "format": fmt, "tie_break": "share"},
        {"bidder": learner},
        steps=400_000,
        seed=11,
        record_every=400_000,
        stop_when_stable=10_000,
    )
    return dict(res.tables())["markets"]


def test_bidders_learn_to_shade_in_first_price_and_not_in_second_price() -> None:
    """Banchio & Skrzypacz's direction, compiled (ties shared), 30 auctions each: seconds."""
    first, second = _learned("first"), _learned("second")
    assert first["winning_bid"].mean() < 0.6  # far below the value 1 (and the Nash 0.89)
    assert second["winning_bid"].mean() > 0.9


# ------------------------------------------------------------------ a regulator's measures
def _scripted(model: AuctionModel, reply: list[int]) -> pd.DataFrame:
    """The end-of-run tables when every bidder bids ``reply[revealed state]``."""
    table = np.array(reply)

    def play(revealed: np.ndarray) -> np.ndarray:
        state = revealed if model.disclosure else np.zeros_like(revealed)  # as bidders see it
        return np.repeat(table[state][:, None], model.n_bidders, axis=1)

    return learned_bids(model, play, 0.95)


def test_stateless_low_bids_are_no_equilibrium_and_outbidding_pays_once() -> None:
    """Both bid ¼ of a common value 1: a tie earns ⅜; outbidding at ½ earns ½, no punishment."""
    model = AuctionModel(n_markets=1, m=5, format="first")  # bids 0, ¼, ½, ¾, 1
    tables = _scripted(model, [1])
    market = tables["markets"].iloc[0]
    assert market["bid"] == 0.25 and not bool(market["nash_on_path"])
    stay = 0.375 / (1 - 0.95)
    assert market["deviation_gain_pct"] == pytest.approx(100 * (0.5 - 0.375) / stay)
    assert market["punishment_depth"] == 0.0 and market["punishment_length"] == 0
    deviation = tables["impulse"].query("tau == 1 and bidder == 0")
    assert deviation["bid"].item() == 0.5


def test_disclosed_low_bids_held_by_a_bidding_war_are_an_equilibrium() -> None:
    """Bid ¼ while the winning bid shown is at most ¼; after a higher one, bid the value."""
    model = AuctionModel(n_markets=1, m=5, format="first", disclosure=True)
    grim = [1, 1, 4, 4, 4, 1]  # states: winning bid 0, ¼, ½, ¾, 1, or nothing shown
    tables = _scripted(model, grim)
    market = tables["markets"].iloc[0]
    assert bool(market["nash_on_path"]) and bool(market["subgame_perfect"])
    stay = 0.375 / (1 - 0.95)
    assert market["deviation_gain_pct"] == pytest.approx(100 * (0.5 - stay) / stay)
    assert market["punishment_depth"] == pytest.approx(0.75)  # the rival goes from ¼ to 1
    assert market["punishment_length"] == -1  # the war never ends
    equilibrium = tables["equilibrium"]
    assert equilibrium["value"].to_numpy() == pytest.approx([stay, stay])
