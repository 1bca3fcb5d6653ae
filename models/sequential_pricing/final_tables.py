"""The tables a sequential-pricing run writes at its end: what the firms learned.

``markets``: each market's greedy cycle (:mod:`.learned`), its prices, profits and kind, and
how a competition authority would judge it (:mod:`.measures`); ``impulse``: the forced
deviation's path; ``equilibrium``: each firm's strategy against its best response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.best_response import session_verdicts

from .learned import Play, greedy_cycle
from .measures import forced_deviation, judge_strategies

if TYPE_CHECKING:
    from .model import SequentialPricingModel

__all__ = ["learned_outcomes"]


def learned_outcomes(
    model: SequentialPricingModel, play: Play, delta: float, horizon: int = 25
) -> dict[str, pd.DataFrame]:
    """The end-of-run tables ``markets``, ``impulse`` and ``equilibrium`` (module doc).

    Args:
        model: The markets, at the end of the run.
        play: The movers' greedy prices.
        delta: The learners' discount factor (measures need ``0 ≤ δ < 1``; else NaN).
        horizon: Periods shown after the forced deviation in ``impulse``.

    """
    cycle = greedy_cycle(model.price_index, model.mover(), play, model.n_prices)
    pairs, found = cycle.pairs, cycle.length
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
    judged = judge_strategies(model, play, cycle, delta)
    deviation = forced_deviation(model, play, cycle, delta, horizon)
    markets = pd.DataFrame(
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
            "nash_on_path": session_verdicts(judged.on_path),
            "subgame_perfect": session_verdicts(judged.everywhere),
            **{name: two(values, 2) for name, values in deviation.measures.items()},
        }
    )
    return {"markets": markets, "impulse": deviation.table, "equilibrium": judged.table}
