"""What the bidders learned: their greedy bids, per auction, beside the one-shot benchmarks.

Banchio & Skrzypacz (2022) read the learned strategies, not the noisy bids of the last
periods of exploration: each bidder's greedy bid in the states it reaches. With stateless
bidders that is one bid. With the winning bid revealed it is a map from the last winning bid
to a bid, and greedy play from a start with nothing revealed is deterministic (the winning
bid is the highest bid, whoever wins a tie), so it enters a cycle of at most ``m + 1``
states within ``m + 1`` periods: the table averages bids, chances to win, surplus and
revenue over that cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.best_response import session_verdicts

from .measures import cycle_states, forced_deviation, judge_strategies
from .theory import MAX_PROFILES, expected_payoffs, prices_paid, pure_equilibria, win_shares

if TYPE_CHECKING:
    from .model import AuctionModel

__all__ = ["greedy_cycle", "learned_bids"]

Play = Callable[[np.ndarray], np.ndarray]


def greedy_cycle(model: AuctionModel, play: Play) -> tuple[np.ndarray, np.ndarray]:
    """The bid profiles of each auction's greedy cycle, from a start with nothing revealed.

    Args:
        model: The auctions.
        play: Revealed winning bid per auction ``int64[M]`` → greedy bid indices ``[M, n]``.

    Returns:
        ``(profiles int64[L, M, n], length int64[M])``: auction ``k``'s cycle is
        ``profiles[:length[k], k]``.

    """
    M, m = model.n_markets, model.n_bids
    state = np.full(M, m, dtype=np.int64)
    if not model.disclosure:  # one state: the cycle is the one profile played there
        return play(state)[None], np.ones(M, dtype=np.int64)
    for _ in range(m + 1):  # after m + 1 periods every auction is on its cycle
        state = _next(model, play(state))
    start, length = state.copy(), np.zeros(M, dtype=np.int64)
    profiles = []
    for t in range(1, m + 2):
        acts = play(state)
        profiles.append(acts)
        state = _next(model, acts)
        back = (length == 0) & (state == start)
        length[back] = t
    return np.stack(profiles), length


def _next(model: AuctionModel, actions: np.ndarray) -> np.ndarray:
    """The revealed winning bid after profiles ``[M, n]`` (``m`` where nothing sold)."""
    top = actions.max(axis=1)
    return np.where(model.rules.bids[top] >= model.rules.reserve, top, model.n_bids)


def learned_bids(model: AuctionModel, play: Play, delta: float = 0.95) -> dict[str, pd.DataFrame]:
    """``markets`` (one row per auction and bidder, see the module doc) and more.

    ``impulse`` and ``equilibrium`` come from :mod:`.measures`, with bidders discounting at
    ``delta``.
    """
    profiles, length = greedy_cycle(model, play)
    L, M, n = profiles.shape
    on_cycle = (np.arange(L)[:, None] < length[None, :]).astype(np.float64)  # [L, M]

    def cycle_mean(x: np.ndarray) -> np.ndarray:  # [L, M, ...] → [M, ...]
        w = on_cycle.reshape(on_cycle.shape + (1,) * (x.ndim - 2))
        return (x * w).sum(axis=0) / length.reshape((M,) + (1,) * (x.ndim - 2))

    rules = model.rules
    bids = rules.bids[profiles]  # [L, M, n]
    shares = win_shares(bids, rules.reserve)
    revenue = (shares * prices_paid(bids, rules.format, rules.reserve)).sum(axis=-1)
    sold = bids.max(axis=-1) >= rules.reserve
    winning = np.where(sold, bids.max(axis=-1), np.nan)
    low, high = _equilibrium_revenues(model)
    frame = pd.DataFrame(
        {
            "market": np.repeat(np.arange(M), n),
            "bidder": np.tile(np.arange(n), M),
            "value": np.tile(rules.values, M),
            "bid": cycle_mean(bids).ravel(),
            "win_share": cycle_mean(shares).ravel(),
            "surplus": cycle_mean(expected_payoffs(bids, rules)).ravel(),
        }
    )
    frame["bid_ratio"] = frame["bid"] / frame["value"]
    sold_share = cycle_mean(sold.astype(np.float64))
    with np.errstate(invalid="ignore"):
        winning_mean = cycle_mean(np.nan_to_num(winning)) / sold_share
    market_cols = {
        "winning_bid": winning_mean,
        "revenue": cycle_mean(revenue),
        "sold_share": sold_share,
        "cycle_length": length,
        "converged": model.ended_at >= 0,
        "converged_at": model.ended_at,
        "revenue_nash_min": np.full(M, low),
        "revenue_nash_max": np.full(M, high),
    }
    for name, col in market_cols.items():
        frame[name] = np.repeat(col, n)
    states = cycle_states(model, profiles, length)
    judged = judge_strategies(model, play, states, delta)
    impulse, deviation = forced_deviation(model, play, profiles, states, delta)
    frame["nash_on_path"] = session_verdicts(judged.on_path)
    frame["subgame_perfect"] = session_verdicts(judged.everywhere)
    for name, col in deviation.items():
        frame[name] = np.repeat(col, n)
    frame["format"] = rules.format
    frame["disclosure"] = model.disclosure
    return {"markets": frame, "impulse": impulse, "equilibrium": judged.table}


def _equilibrium_revenues(model: AuctionModel) -> tuple[float, float]:
    """The lowest and highest expected revenue over the pure one-shot equilibria on the grid.

    NaN where the grid has too many profiles to enumerate, or none is an equilibrium.
    """
    if model.n_bids**model.n_bidders > MAX_PROFILES:
        return float("nan"), float("nan")
    rules = model.rules
    found = pure_equilibria(rules)
    if found.size == 0:
        return float("nan"), float("nan")
    bids = rules.bids[found]
    revenue = (
        win_shares(bids, rules.reserve) * prices_paid(bids, rules.format, rules.reserve)
    ).sum(axis=-1)
    return float(revenue.min()), float(revenue.max())
