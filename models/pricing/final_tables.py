"""The tables a pricing run ends with: what the firms learned, and how a regulator would judge it.

:meth:`PricingModel.final_tables <socialrl_models.pricing.model.PricingModel.final_tables>`
calls :func:`learned_tables`. From each market's final state the greedy strategies (no
exploration, no learning) lead into a cycle of price vectors (:func:`~.learned.greedy_cycles`):

- ``markets``, per firm: the cycle's mean price and profit, the industry's profit gain
  ``delta`` (Calvano et al.'s measure, defined for asymmetric firms too), the firm's own
  ``delta_firm`` (NaN where undefined), the cycle length and when the market converged; and,
  per market, the competition-authority measures: whether the learned strategies are a Nash
  equilibrium on the path they reach (``nash_on_path``) and in every state
  (``subgame_perfect``), the punishment after firm 0's forced deviation (``punishment_depth``
  in price, ``punishment_depth_share`` of the way down to Nash, ``punishment_length``: periods
  until the market is back on its cycle, −1 if it is not within the horizon), and what the
  deviation earned firm 0 against staying on the cycle (``deviation_gain_pct``).
- ``impulse``: the price path of Calvano's experiment — firm 0 forced to its static best
  response for ``deviation_periods`` periods, then everyone greedy again.
- ``equilibrium``, per firm: its value from its own strategy and from its best response to the
  others' (:mod:`~.measures`), the largest gain a deviation offers on the path, and in which
  share of all states its strategy is a best response.

The equilibrium analysis solves each firm's problem exactly over all ``m^(n·k)`` histories;
it needs deterministic demand (a payoff table) and at most :data:`MAX_HISTORIES` histories
(two firms with memory one: 225; three firms: 3,375), else its columns are NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.best_response import verdicts

from . import states
from .learned import Cycles, greedy_cycles, impulse_response
from .measures import BestResponses, best_responses, deviation_value, forgiveness, histories
from .measures import punishment as punishment_depths
from .theory import industry_profit_gain, profit_gain

if TYPE_CHECKING:
    from .model import PricingModel

__all__ = ["MAX_HISTORIES", "learned_tables"]

#: The equilibrium analysis is skipped above this many histories (memory and time grow with it).
MAX_HISTORIES = 4096

Play = Callable[[np.ndarray], np.ndarray]


def learned_tables(
    model: PricingModel, play: Play, delta: float, horizon: int = 25
) -> dict[str, pd.DataFrame]:
    """``markets``, ``impulse`` and ``equilibrium`` of ``model`` under greedy play (module doc).

    Args:
        model: The market, at the end of its run.
        play: Every firm's greedy action in given histories, ``[M, k, n] → [M, n]``.
        delta: The discount factor the firms value profits with (the learners' γ).
        horizon: Free periods after the forced deviation in ``impulse``.

    """
    cycles = greedy_cycles(model.history.copy(), play, states.advance, model._code)
    padded = np.maximum(cycles.actions, 0)  # [M, L, n]; −1 pads shorter cycles
    on_cycle = (cycles.actions[..., 0] >= 0)[..., None]
    mean_profit = (model._profits_of(padded) * on_cycle).sum(1) / cycles.length[:, None]
    mean_price = (model._prices_of(padded) * on_cycle).sum(1) / cycles.length[:, None]
    periods = model.deviation_periods
    path = impulse_response(
        cycles.start, play, states.advance, model._best_response, horizon, periods
    )
    analysis = _best_responses(model, play, delta)
    deviation = _deviation(model, cycles, path, mean_price, analysis, delta)
    equilibrium = _equilibrium(model, cycles, analysis, delta)
    markets = _markets(model, cycles, mean_price, mean_profit, deviation, equilibrium)
    return {
        "markets": markets,
        "impulse": _impulse(model, path),
        "equilibrium": equilibrium,
    }


def _markets(
    model: PricingModel,
    cycles: Cycles,
    mean_price: np.ndarray,
    mean_profit: np.ndarray,
    deviation: dict[str, np.ndarray],
    equilibrium: pd.DataFrame,
) -> pd.DataFrame:
    n, M = model.n_firms, model.n_markets
    gain = industry_profit_gain(mean_profit, model.bench)  # [M]
    by_market = equilibrium.groupby("market")
    table = {
        "market": np.repeat(np.arange(M), n),
        "firm": np.tile(np.arange(n), M),
        "price_mean": mean_price.ravel(),
        "profit_mean": mean_profit.ravel(),
        "delta": np.repeat(gain, n),
        "delta_firm": profit_gain(mean_profit, model.bench).ravel(),
        "cycle_length": np.repeat(cycles.length, n),
        "converged": np.repeat(model.ended_at >= 0, n),
        "converged_at": np.repeat(model.ended_at, n),
        "p_nash": np.tile(model.bench.p_nash, M),
        "p_monopoly": np.tile(model.bench.p_monopoly, M),
        "nash_on_path": verdicts(np.repeat(by_market["best_response_on_path"].all().to_numpy(), n)),
        "subgame_perfect": verdicts(
            np.repeat((by_market["best_response_share"].min() >= 1.0).to_numpy(), n)
        ),
    }
    if equilibrium["best_response_share"].isna().all():  # not analysed: say so, not "False"
        table["nash_on_path"] = verdicts(np.full(M * n, np.nan))
        table["subgame_perfect"] = verdicts(np.full(M * n, np.nan))
    for name, values in deviation.items():
        table[name] = np.repeat(values, n)
    return pd.DataFrame(table)


def _impulse(model: PricingModel, path: np.ndarray) -> pd.DataFrame:
    n, M = model.n_firms, model.n_markets
    T = path.shape[1]
    return pd.DataFrame(
        {
            "market": np.repeat(np.arange(M), T * n),
            "tau": np.tile(np.repeat(np.arange(T), n), M),
            "firm": np.tile(np.arange(n), M * T),
            "price": model._prices_of(path).ravel(),
            "profit": model._profits_of(path).ravel(),
        }
    )


def _best_responses(model: PricingModel, play: Play, delta: float) -> BestResponses | None:
    """Every firm's exact best-response analysis, or None where it cannot be done."""
    n, m, k = model.n_firms, model.n_prices, model.memory
    if model.payoffs is None or m ** (n * k) > MAX_HISTORIES or not 0.0 <= delta < 1.0:
        return None
    every = histories(n, m, k)  # [S, k, n]
    M = model.n_markets
    strategies = np.stack([play(np.repeat(h[None], M, axis=0)) for h in every], axis=1)
    return best_responses(model.payoffs, strategies, m, k, delta)


def _cycle_codes(model: PricingModel, cycles: Cycles) -> np.ndarray:
    """The histories on each market's cycle, ``int64[M, max length]`` (−1 pads)."""
    M, longest = cycles.actions.shape[0], cycles.actions.shape[1]
    codes = np.full((M, longest), -1, dtype=np.int64)
    h = cycles.start
    for j in range(longest):
        codes[:, j] = np.where(j < cycles.length, model._code(h), -1)
        h = states.advance(h, np.maximum(cycles.actions[:, j], 0))
    return codes


def _equilibrium(
    model: PricingModel, cycles: Cycles, analysis: BestResponses | None, delta: float
) -> pd.DataFrame:
    n, M = model.n_firms, model.n_markets
    base = {
        "market": np.repeat(np.arange(M), n),
        "firm": np.tile(np.arange(n), M),
        "discount": np.full(M * n, delta),
    }
    if analysis is None:
        nan = np.full(M * n, np.nan)
        return pd.DataFrame(
            base
            | {
                "value": nan,
                "best_value": nan,
                "gain_on_path_pct": nan,
                "best_response_on_path": verdicts(nan),
                "best_response_share": nan,
            }
        )
    codes = _cycle_codes(model, cycles)  # [M, L]
    valid = codes >= 0
    idx = np.broadcast_to(np.maximum(codes, 0)[:, None, :], (M, n, codes.shape[1]))
    value = np.take_along_axis(analysis.value, idx, axis=2)  # [M, n, L]
    best = np.take_along_axis(analysis.best_value, idx, axis=2)
    optimal = np.take_along_axis(analysis.optimal, idx, axis=2) | ~valid[:, None, :]
    gain = np.where(valid[:, None, :], (best - value) / np.abs(value), -np.inf).max(axis=2)
    return pd.DataFrame(
        base
        | {
            "value": value[:, :, 0].ravel(),
            "best_value": best[:, :, 0].ravel(),
            "gain_on_path_pct": 100.0 * np.maximum(gain, 0.0).ravel(),
            "best_response_on_path": verdicts(optimal.all(axis=2).ravel()),
            "best_response_share": analysis.optimal.mean(axis=2).ravel(),
        }
    )


def _deviation(
    model: PricingModel,
    cycles: Cycles,
    path: np.ndarray,
    mean_price: np.ndarray,
    analysis: BestResponses | None,
    delta: float,
) -> dict[str, np.ndarray]:
    """Punishment depth and length after firm 0's forced deviation, and what it earned."""
    M, L = model.n_markets, model.deviation_periods
    prices = model._prices_of(path)  # [M, T + 1, n]
    rivals_before = mean_price[:, 1:].mean(axis=1)
    depth, share = punishment_depths(
        prices[:, :, 1:].mean(axis=2), rivals_before, float(model.bench.p_nash[1:].mean())
    )
    cycle = _cycle_codes(model, cycles)
    h, codes = cycles.start, np.empty(path.shape[:2], dtype=np.int64)
    codes[:, 0] = model._code(h)
    for tau in range(1, path.shape[1]):
        h = states.advance(h, path[:, tau])
        codes[:, tau] = model._code(h)
    on_cycle = (codes[:, :, None] == cycle[:, None, :]).any(axis=2)
    gain = np.full(M, np.nan)
    if analysis is not None:
        profits = model._profits_of(path[:, 1 : L + 1])[:, :, 0]  # firm 0, τ = 1 … L
        after = analysis.value[np.arange(M), 0, codes[:, L]]
        stay = analysis.value[np.arange(M), 0, codes[:, 0]]
        gain = 100.0 * (deviation_value(profits, after, L, delta) - stay) / np.abs(stay)
    return {
        "punishment_depth": depth,
        "punishment_depth_share": share,
        "punishment_length": forgiveness(on_cycle, L),
        "deviation_gain_pct": gain,
    }
