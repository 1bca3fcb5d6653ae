"""The economics of the pricing market: logit demand, Bertrand–Nash and monopoly benchmarks.

Calvano, Calzolari, Denicolò & Pastorello (2020, AER) study ``n`` firms selling differentiated
products with logit demand

    q_i = exp((a_i − p_i)/μ) / (Σ_j exp((a_j − p_j)/μ) + exp(a_0/μ)),   π_i = (p_i − c_i) q_i.

Two benchmarks bracket what learning firms may reach: the one-shot **Bertrand–Nash**
equilibrium (every firm best-responds; with logit demand the first-order condition is
``p_i = c_i + μ / (1 − q_i)``) and the **joint-profit-maximising** (monopoly, perfectly
collusive) prices. Learned prices are judged by the profit gain
``Δ = (π̄ − π_N) / (π_M − π_N)``: 0 at Nash, 1 at monopoly. Both benchmarks are computed here
for any parameters — never hard-coded — and the price grid the firms choose from is laid
around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = [
    "Benchmarks",
    "LogitMarket",
    "benchmarks",
    "firm_grids",
    "monopoly_prices",
    "nash_prices",
    "price_grid",
    "profit_gain",
]


@dataclass(frozen=True, eq=False)
class LogitMarket:
    """One market's demand and costs.

    Attributes:
        quality: ``a_i`` per firm (``n ≥ 2`` firms).
        cost: ``c_i`` per firm.
        outside: ``a_0``, the outside good's quality.
        mu: ``μ > 0``, horizontal differentiation (μ → 0: perfect substitutes).

    """

    quality: np.ndarray
    cost: np.ndarray
    outside: float = 0.0
    mu: float = 0.25

    def __post_init__(self) -> None:
        quality = np.atleast_1d(np.asarray(self.quality, dtype=np.float64))
        cost = np.atleast_1d(np.asarray(self.cost, dtype=np.float64))
        if quality.ndim != 1 or quality.size < 2:
            raise ValueError(f"quality must give n ≥ 2 firms, got {self.quality!r}")
        if cost.shape != quality.shape:
            raise ValueError(
                f"cost must have one value per firm ({quality.size}), got {self.cost!r}"
            )
        if not self.mu > 0:
            raise ValueError(f"mu (product differentiation) must be > 0, got {self.mu!r}")
        object.__setattr__(self, "quality", quality)
        object.__setattr__(self, "cost", cost)

    @classmethod
    def symmetric(
        cls,
        n: int = 2,
        quality: float = 2.0,
        cost: float = 1.0,
        outside: float = 0.0,
        mu: float = 0.25,
    ) -> LogitMarket:
        """``n`` identical firms (Calvano et al.'s baseline: n 2, a 2, c 1, a₀ 0, μ 0.25)."""
        if int(n) != n or n < 2:
            raise ValueError(f"n (firms) must be an integer ≥ 2, got {n!r}")
        return cls(np.full(int(n), quality), np.full(int(n), cost), outside, mu)

    @property
    def n_firms(self) -> int:
        """Number of firms."""
        return int(self.quality.size)

    def demand(self, prices: np.ndarray) -> np.ndarray:
        """Quantities ``q[..., n]`` for prices ``p[..., n]`` (any leading batch shape)."""
        p = np.asarray(prices, dtype=np.float64)
        utility = (self.quality - p) / self.mu
        top = np.maximum(utility.max(axis=-1, keepdims=True), self.outside / self.mu)
        e = np.exp(utility - top)  # stabilised: divide numerator and denominator alike
        return e / (e.sum(axis=-1, keepdims=True) + np.exp(self.outside / self.mu - top))

    def profits(self, prices: np.ndarray) -> np.ndarray:
        """Profits ``π[..., n] = (p − c) q``."""
        p = np.asarray(prices, dtype=np.float64)
        return (p - self.cost) * self.demand(p)

    def best_response_gap(self, prices: np.ndarray) -> np.ndarray:
        """The Nash first-order condition ``p_i − c_i − μ / (1 − q_i)`` (zero at equilibrium)."""
        q = self.demand(prices)
        return np.asarray(prices) - self.cost - self.mu / (1.0 - q)


def nash_prices(market: LogitMarket, tol: float = 1e-12) -> np.ndarray:
    """Bertrand–Nash prices: every firm's first-order condition holds.

    Solved with ``scipy.optimize.root`` from the marginal-cost-plus-μ start (the equilibrium is
    unique for logit demand).

    Raises:
        RuntimeError: if the solver does not converge.

    """
    start = market.cost + market.mu * 2.0
    sol = optimize.root(market.best_response_gap, start, tol=tol)
    if not sol.success or np.max(np.abs(market.best_response_gap(sol.x))) > 1e-8:
        raise RuntimeError(f"Bertrand–Nash prices not found: {sol.message}")
    return np.asarray(sol.x)


def monopoly_prices(market: LogitMarket) -> np.ndarray:
    """Prices that maximise the firms' joint profit Σ π_i (perfect collusion)."""
    start = nash_prices(market) + market.mu
    result = optimize.minimize(
        lambda p: -market.profits(p).sum(),
        start,
        method="BFGS",
        options={"gtol": 1e-12},
    )
    if not result.success and np.linalg.norm(result.jac) > 1e-7:
        raise RuntimeError(f"joint-profit-maximising prices not found: {result.message}")
    return np.asarray(result.x)


@dataclass(frozen=True)
class Benchmarks:
    """Nash and monopoly prices and profits of one market (arrays per firm)."""

    p_nash: np.ndarray
    profit_nash: np.ndarray
    p_monopoly: np.ndarray
    profit_monopoly: np.ndarray


def benchmarks(market: LogitMarket) -> Benchmarks:
    """Both benchmarks, with the profits they give."""
    p_n, p_m = nash_prices(market), monopoly_prices(market)
    return Benchmarks(p_n, market.profits(p_n), p_m, market.profits(p_m))


def price_grid(
    p_nash: np.ndarray, p_monopoly: np.ndarray, m: int = 15, xi: float = 0.1
) -> np.ndarray:
    """``m`` evenly spaced prices on ``[p_N − ξ(p_M − p_N), p_M + ξ(p_M − p_N)]``, per firm.

    Calvano et al. (2020): with ``ξ = 0.1`` neither benchmark lies on the grid, so learned prices
    are not pulled to them by construction.

    Returns:
        ``float64[n_firms, m]``.

    """
    if int(m) != m or m < 2:
        raise ValueError(f"m (prices on the grid) must be an integer ≥ 2, got {m!r}")
    if xi < 0:
        raise ValueError(f"xi (grid extension) must be ≥ 0, got {xi!r}")
    lo = np.asarray(p_nash) - xi * (np.asarray(p_monopoly) - np.asarray(p_nash))
    hi = np.asarray(p_monopoly) + xi * (np.asarray(p_monopoly) - np.asarray(p_nash))
    return np.linspace(np.atleast_1d(lo), np.atleast_1d(hi), int(m), axis=-1)


def profit_gain(profit: np.ndarray, bench: Benchmarks) -> np.ndarray:
    """Each firm's own ``Δ_i = (π̄_i − π_N,i) / (π_M,i − π_N,i)``; NaN where it is undefined.

    The normalisation needs the firm's share of the joint-profit maximum above its Nash
    profit. With asymmetric firms it need not be (:func:`own_gain_defined`): a high-cost
    firm may earn less at the joint maximum than at Nash, and its own "gain" would then flip
    sign or explode. The industry's :func:`industry_profit_gain` is always defined.
    """
    spread = bench.profit_monopoly - bench.profit_nash
    safe = np.where(own_gain_defined(bench), spread, np.nan)
    return (np.asarray(profit) - bench.profit_nash) / safe


def own_gain_defined(bench: Benchmarks) -> np.ndarray:
    """Per firm: whether its share of the joint-profit maximum exceeds its Nash profit."""
    return np.asarray(bench.profit_monopoly > bench.profit_nash)


def industry_profit_gain(profit: np.ndarray, bench: Benchmarks) -> np.ndarray:
    """``Δ = (Σ π̄_i − Σ π_N,i) / (Σ π_M,i − Σ π_N,i)`` over the last axis (the firms).

    Calvano et al. (2020) normalise industry profit: 0 at the Nash profits, 1 at the joint
    maximum, for any number of firms and any asymmetry (the joint maximum exceeds the sum of
    Nash profits by its definition). With symmetric firms it equals every firm's own Δ.
    """
    total = np.asarray(profit).sum(axis=-1)
    nash, monopoly = bench.profit_nash.sum(), bench.profit_monopoly.sum()
    return (total - nash) / (monopoly - nash)


def firm_grids(
    market: LogitMarket, bench: Benchmarks, m: int, xi: float, prices: Sequence[float] | None
) -> np.ndarray:
    """``float64[n, m]``: Calvano's grid around each firm's benchmarks, or the given one."""
    if prices is None:
        grid = price_grid(bench.p_nash, bench.p_monopoly, m, xi)
    else:
        given = np.asarray(prices, dtype=np.float64)
        if given.ndim != 1 or given.size < 2 or not np.all(np.diff(given) > 0):
            raise ValueError(
                f"prices must be at least 2 increasing numbers, got {list(np.ravel(given))}"
            )
        grid = np.repeat(given[None], market.n_firms, axis=0)
    top = grid.max(axis=1)
    for i, (c, p) in enumerate(zip(market.cost, top, strict=True)):
        if c >= p:
            raise ValueError(
                f"cost of firm {i} ({c:g}) is not below any price on the grid (highest "
                f"{p:g}): it could never make a profit; lower cost or raise prices"
            )
    return grid
