"""Calvano et al. (2020) benchmarks: logit demand, Bertrand–Nash and monopoly prices, the grid."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize
from socialrl_models.pricing import LogitMarket, benchmarks, price_grid, profit_gain

pytestmark = pytest.mark.core


def test_baseline_benchmarks_match_the_paper() -> None:
    """REFERENCES.md: p_N 1.47293, π_N 0.22293, p_M 1.92498, π_M 0.33749 per firm."""
    b = benchmarks(LogitMarket.symmetric())
    np.testing.assert_allclose(b.p_nash, 1.47293, atol=5e-6)
    np.testing.assert_allclose(b.profit_nash, 0.22293, atol=5e-6)
    np.testing.assert_allclose(b.p_monopoly, 1.92498, atol=5e-6)
    np.testing.assert_allclose(b.profit_monopoly, 0.33749, atol=5e-6)


def test_price_grid_of_the_baseline() -> None:
    """15 prices from 1.4277250 to 1.9701850 (ξ = 0.1); neither benchmark on the grid."""
    b = benchmarks(LogitMarket.symmetric())
    grid = price_grid(b.p_nash, b.p_monopoly, m=15, xi=0.1)
    assert grid.shape == (2, 15)
    np.testing.assert_allclose(grid[:, 0], 1.4277250, atol=1e-5)
    np.testing.assert_allclose(grid[:, -1], 1.9701850, atol=1e-5)
    np.testing.assert_allclose(np.diff(grid[0]), (grid[0, -1] - grid[0, 0]) / 14)
    assert np.abs(grid[0] - b.p_nash[0]).min() > 1e-3
    assert np.abs(grid[0] - b.p_monopoly[0]).min() > 1e-3


def test_demand_by_hand() -> None:
    market = LogitMarket.symmetric()
    q = market.demand(np.array([1.5, 1.8]))
    e1, e2, e0 = np.exp((2 - 1.5) / 0.25), np.exp((2 - 1.8) / 0.25), 1.0
    np.testing.assert_allclose(q, [e1 / (e1 + e2 + e0), e2 / (e1 + e2 + e0)])
    np.testing.assert_allclose(market.profits(np.array([1.5, 1.8])), [0.5 * q[0], 0.8 * q[1]])
    batch = market.demand(np.array([[1.5, 1.8], [1.8, 1.5]]))
    np.testing.assert_allclose(batch[1], q[::-1])


@pytest.mark.parametrize(
    ("quality", "cost", "mu", "outside"),
    [
        ([2.0, 2.2], [1.0, 0.9], 0.3, 0.0),
        ([2.0, 2.0, 1.8], [1.0, 1.1, 0.8], 0.25, 0.5),
        ([2.0] * 4, [1.0] * 4, 0.1, 0.0),
    ],
)
def test_asymmetric_benchmarks_satisfy_first_order_conditions(
    quality: list[float], cost: list[float], mu: float, outside: float
) -> None:
    market = LogitMarket(np.array(quality), np.array(cost), outside=outside, mu=mu)
    b = benchmarks(market)
    # Nash: no firm gains from a unilateral deviation (FOC and a direct check)
    np.testing.assert_allclose(market.best_response_gap(b.p_nash), 0.0, atol=1e-9)
    for i in range(market.n_firms):

        def own(p: float, i: int = i) -> float:
            prices = b.p_nash.copy()
            prices[i] = p
            return -market.profits(prices)[i]

        best = optimize.minimize_scalar(own, bounds=(0.0, 10.0), method="bounded")
        assert best.x == pytest.approx(b.p_nash[i], abs=1e-4)
    # Monopoly: the gradient of joint profit vanishes, and joint profit beats Nash
    grad = optimize.approx_fprime(b.p_monopoly, lambda p: market.profits(p).sum(), 1e-7)
    np.testing.assert_allclose(grad, 0.0, atol=1e-5)
    assert b.profit_monopoly.sum() > b.profit_nash.sum()


def test_profit_gain_is_zero_at_nash_and_one_at_monopoly() -> None:
    b = benchmarks(LogitMarket.symmetric())
    np.testing.assert_allclose(profit_gain(b.profit_nash, b), 0.0)
    np.testing.assert_allclose(profit_gain(b.profit_monopoly, b), 1.0)
    np.testing.assert_allclose(profit_gain(0.85 * 0.33749 + 0.15 * 0.22293, b), 0.85, atol=1e-4)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: LogitMarket.symmetric(mu=0.0), r"mu \(product differentiation\) must be > 0"),
        (lambda: LogitMarket.symmetric(n=1), r"n \(firms\) must be an integer ≥ 2"),
        (lambda: LogitMarket(np.array([2.0, 2.0]), np.array([1.0])), "one value per firm"),
        (lambda: price_grid(np.array([1.4]), np.array([1.9]), m=1), r"m \(prices on the grid\)"),
        (lambda: price_grid(np.array([1.4]), np.array([1.9]), xi=-1), r"xi \(grid extension\)"),
    ],
)
def test_bad_parameters_are_named(build, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        build()
