"""Klein's (2021) market: a homogeneous good, linear demand, a grid of prices.

The market of Maskin & Tirole (1988) that Klein (2021, RAND) lets two Q-learners play with
alternating moves: demand ``D(p) = 1 − p`` for ``p ∈ [0, 1]``; the cheaper firm sells all of
it, a tie splits it, so firm ``i`` earns ``π_i = (p_i − c) D(p_i) s_i`` with share ``s_i``
1, ½ or 0. Prices lie on the grid ``{0, 1/k, 2/k, …, 1}`` (``k = 6``: seven prices).

Benchmarks (computed, never typed in):

- the joint-profit maximum: both firms at the grid price maximising ``(p − c) D(p)``, each
  earning half of it (``p_M = ½``, ``π_M = 0.125`` for ``c = 0`` and even ``k``);
- the competitive benchmark: the static Nash equilibria of the one-shot game on the grid;
  ``π_N`` is the largest profit a firm earns in one (for ``k = 6``, ``c = 0``: both at
  ``1/6``, each ``5/72 ≈ 0.069``), so a profit gain above 0 is above every static
  equilibrium, not merely above marginal-cost pricing.

Klein measures what the firms learned by the outcome their greedy strategies reach: a
*focal price* (both firms keep one price for ever) or a *cycle* — Edgeworth cycles, in which
the firms undercut each other step by step until one jumps back up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KleinMarket", "price_grid", "profits", "static_equilibria"]


def price_grid(k: int) -> np.ndarray:
    """``{0, 1/k, …, 1}``: ``k + 1`` equally spaced prices."""
    return np.arange(k + 1) / k


def profits(p_own: np.ndarray, p_rival: np.ndarray, cost: float) -> np.ndarray:
    """``(p − c)(1 − p) s``: the cheaper firm takes the market, a tie splits it."""
    share = np.where(p_own < p_rival, 1.0, np.where(p_own == p_rival, 0.5, 0.0))
    return (p_own - cost) * (1.0 - p_own) * share


def static_equilibria(prices: np.ndarray, cost: float) -> np.ndarray:
    """Pure Nash equilibria of the one-shot game on the grid, ``int64[E, 2]`` index pairs.

    A profile is an equilibrium when neither firm gains by any other grid price.
    """
    own = profits(prices[:, None], prices[None, :], cost)  # [mine, rival]: firm's payoff
    best = own.max(axis=0)  # each rival price's best-response payoff
    m = prices.size
    pairs = [
        (a, b)
        for a in range(m)
        for b in range(m)
        if own[a, b] >= best[b] - 1e-15 and own[b, a] >= best[a] - 1e-15
    ]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class KleinMarket:
    """The market's rules and benchmarks for grid step ``1/k`` and marginal cost ``c``.

    Attributes:
        k: Grid steps; prices ``{0, 1/k, …, 1}``.
        cost: Marginal cost ``c ∈ [0, 1)``.
        prices: The grid, ``float64[k + 1]``.
        payoffs: ``π[a, b]``: a firm's profit at price index ``a`` against its rival at ``b``.
        p_monopoly: The joint-profit-maximising price on the grid.
        p_nash: The price of the most profitable static equilibrium on the grid.
        profit_monopoly: Each firm's profit when both charge it.
        profit_nash: The largest profit a firm earns in a static Nash equilibrium on the grid.

    """

    k: int
    cost: float

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or int(self.k) != self.k or self.k < 2:
            raise ValueError(f"k must be an integer ≥ 2 (prices 0, 1/k, …, 1), got {self.k!r}")
        if not 0.0 <= self.cost < 1.0:
            raise ValueError(f"cost must lie in [0, 1) (demand is 1 − p), got {self.cost!r}")

    @property
    def prices(self) -> np.ndarray:
        """The price grid."""
        return price_grid(int(self.k))

    @property
    def payoffs(self) -> np.ndarray:
        """``π[own index, rival index]``."""
        p = self.prices
        return profits(p[:, None], p[None, :], self.cost)

    @property
    def p_monopoly(self) -> float:
        """The grid price maximising the industry's profit ``(p − c)(1 − p)``."""
        p = self.prices
        return float(p[np.argmax((p - self.cost) * (1.0 - p))])

    @property
    def profit_monopoly(self) -> float:
        """Each firm's half of the joint-profit maximum."""
        p = self.p_monopoly
        return (p - self.cost) * (1.0 - p) / 2.0

    @property
    def p_nash(self) -> float:
        """The mean price of the most profitable static pure Nash equilibrium on the grid."""
        eq = static_equilibria(self.prices, self.cost)
        best = eq[np.argmax(self.payoffs[eq[:, 0], eq[:, 1]])]
        return float(self.prices[best].mean())

    @property
    def profit_nash(self) -> float:
        """The best a firm does in a static pure Nash equilibrium on the grid."""
        eq = static_equilibria(self.prices, self.cost)
        return float(self.payoffs[eq[:, 0], eq[:, 1]].max())
