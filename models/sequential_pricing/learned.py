"""What alternating firms learned: the outcome their greedy strategies reach.

Klein (2021) reads a session by where its learned strategies lead once exploration is gone:
from the last prices, the firms keep answering each other's price with their greedy price,
alternately. The state of that play — both prices and whose turn it is — takes at most
``2 m²`` values, so within ``2 m²`` periods every market is on a cycle, and one more pass of
at most ``2 m²`` periods measures it. A cycle whose prices never change is a *focal price*;
any other is a price *cycle* (Edgeworth cycles — undercutting step by step, then a jump back
up — among them); a policy that is not deterministic (a random one) reaches ``none``.
Profits are averaged over the cycle's periods, all markets at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .model import SequentialPricingModel

__all__ = ["greedy_cycle", "learned_outcomes"]

#: ``(prices [M, 2], seat) → the mover's greedy price index [M]``.
Play = Callable[[np.ndarray, int], np.ndarray]


def greedy_cycle(
    price_index: np.ndarray, first: int, play: Play, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """The price pairs of each market's greedy cycle under alternating moves.

    Args:
        price_index: Current prices ``int64[M, 2]`` (not changed).
        first: The seat that moves next.
        play: The movers' greedy prices.
        m: Prices on the grid.

    Returns:
        ``(pairs int64[L, M, 2], length int64[M])``: market ``k``'s cycle is the price pairs
        after each of its ``length[k]`` periods, ``pairs[:length[k], k]``; 0 where play did
        not return to its start (only a policy that is not deterministic can fail to).

    """
    prices, seat = price_index.copy(), first
    bound = 2 * m * m
    for _ in range(bound):  # onto the cycle
        prices[:, seat] = play(prices, seat)
        seat = 1 - seat
    start, start_seat = prices.copy(), seat
    length = np.zeros(prices.shape[0], dtype=np.int64)
    pairs = []
    for t in range(1, bound + 1):
        prices[:, seat] = play(prices, seat)
        seat = 1 - seat
        pairs.append(prices.copy())
        back = (length == 0) & (seat == start_seat) & (prices == start).all(axis=1)
        length[back] = t
        if (length > 0).all():
            break
    return np.stack(pairs), length


def learned_outcomes(model: SequentialPricingModel, play: Play) -> dict[str, pd.DataFrame]:
    """The ``markets`` table: each market's greedy cycle, its profits and its kind."""
    pairs, found = greedy_cycle(model.price_index, model.mover(), play, model.n_prices)
    L, M = pairs.shape[0], model.n_markets
    length = np.where(found > 0, found, L)  # no cycle: averages over the whole window
    on = (np.arange(L)[:, None] < length[None, :])[..., None]  # [L, M, 1]
    price = model.prices_grid[pairs]
    mean_price = (price * on).sum(0) / length[:, None]  # [M, 2]
    mean_profit = (model.profits_of(pairs) * on).sum(0) / length[:, None]
    first = price[0]  # [M, 2]
    focal = ((price == first[None]) | ~on).all(axis=(0, 2))
    lowest = np.where(on, price, np.inf).min(axis=(0, 2))
    highest = np.where(on, price, -np.inf).max(axis=(0, 2))
    nash, monopoly = model.market.profit_nash, model.market.profit_monopoly
    gain = (mean_profit.sum(1) - 2 * nash) / (2 * monopoly - 2 * nash)
    two = np.repeat
    return {
        "markets": pd.DataFrame(
            {
                "market": two(np.arange(M), 2),
                "firm": np.tile(np.arange(2), M),
                "price_mean": mean_price.ravel(),
                "profit_mean": mean_profit.ravel(),
                "delta": two(gain, 2),
                "outcome": two(np.where(found == 0, "none", np.where(focal, "focal", "cycle")), 2),
                "cycle_periods": two(length, 2),
                "price_low": two(lowest, 2),
                "price_high": two(highest, 2),
                "converged": two(model.ended_at >= 0, 2),
                "converged_at": two(model.ended_at, 2),
                "p_monopoly": model.market.p_monopoly,
                "profit_nash": nash,
                "profit_monopoly": monopoly,
            }
        )
    }
