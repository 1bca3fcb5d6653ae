"""What a competition authority asks of alternating firms: equilibrium, punishment, deviation.

Calvano et al.'s (2020, Table 1 and §IV) questions, asked of Klein's (2021) market. Are the
learned strategies a Nash equilibrium — on the path they reach, and in every state (subgame
perfect)? After a forced deviation, how deep and how long is the rival's punishment, and did
the deviation pay?

**Best responses.** Hold firm ``j``'s greedy strategy ``σ_j`` (its reply to ``i``'s price)
fixed. Firm ``i``, moving in state ``s`` (``j``'s price) with price ``a``, earns ``π(a, s)``
now and ``π(a, σ_j(a))`` in the period after ``j``'s reply, then moves again in ``σ_j(a)``::

    Q*(s, a) = π(a, s) + δ π(a, σ_j(a)) + δ² max_a' Q*(σ_j(a), a')

a deterministic decision problem over the ``m`` states, judged by
:func:`socialrl.best_response.judge` at the discount ``δ²`` of one move to the next.

**Forced deviation.** From a state of the greedy cycle where firm 0 is to move, firm 0 plays
its static best response to firm 1's price (undercut) for ``L`` of its moves while firm 1
follows its greedy strategy; then both are greedy again. The deviation's gain compares firm
0's discounted profit along that path with the path without it, over a horizon long enough
that ``δ^H < 10⁻¹²``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from socialrl.best_response import judge, verdicts

from .learned import Cycle, Play, state_code

if TYPE_CHECKING:
    from .model import SequentialPricingModel

__all__ = ["Deviation", "Judged", "forced_deviation", "judge_strategies", "strategies"]


class Judged(NamedTuple):
    """Each firm's greedy strategy against its best response.

    Attributes:
        on_path: ``bool[M, 2]``: a best response in every state it moves in on the cycle.
        everywhere: ``bool[M, 2]``: a best response in every state (subgame perfect).
        table: The ``equilibrium`` table, one row per market and firm.

    """

    on_path: np.ndarray
    everywhere: np.ndarray
    table: pd.DataFrame


class Deviation(NamedTuple):
    """The forced deviation's path (``impulse`` table) and its measures, ``[M]`` each."""

    table: pd.DataFrame
    measures: dict[str, np.ndarray]


def strategies(play: Play, n_markets: int, m: int) -> np.ndarray:
    """Both firms' greedy replies ``σ_i(s)`` to every rival price, ``int64[M, 2, m]``."""
    out = np.empty((n_markets, 2, m), dtype=np.int64)
    prices = np.zeros((n_markets, 2), dtype=np.int64)
    for seat in (0, 1):
        for s in range(m):
            prices[:, 1 - seat] = s
            out[:, seat, s] = play(prices, seat)
    return out


def _seen(cycle: Cycle, seat: int) -> tuple[np.ndarray, np.ndarray]:
    """The rival prices ``seat`` moves against on the cycle ``[L, M]`` and where it does."""
    before = np.concatenate([cycle.start[None], cycle.pairs[:-1]], axis=0)  # [L, M, 2]
    L = before.shape[0]
    length = np.where(cycle.length > 0, cycle.length, L)
    moves = np.array([cycle.mover(t) == seat for t in range(L)])[:, None]
    return before[..., 1 - seat], moves & (np.arange(L)[:, None] < length[None, :])


def judge_strategies(
    model: SequentialPricingModel, play: Play, cycle: Cycle, delta: float
) -> Judged:
    """Solve each firm's problem against its rival's greedy replies (see the module doc).

    Without a discount factor below 1 there is no finite value to compare: the table says
    NaN, never False.
    """
    M, m = model.n_markets, model.n_prices
    if not 0.0 <= delta < 1.0:
        nan = np.full((M, 2), np.nan)
        table = pd.DataFrame({"market": np.repeat(np.arange(M), 2), "firm": np.tile([0, 1], M),
                              "discount": delta, "value": np.nan, "best_value": np.nan,
                              "gain_on_path_pct": np.nan,
                              "best_response_on_path": verdicts(np.full(2 * M, np.nan)),
                              "best_response_share": np.nan})  # fmt: skip
        return Judged(nan, nan, table)
    sigma = strategies(play, M, m)
    pay = model.payoffs  # [own, rival]
    own = np.arange(m)
    rows, on_path, everywhere = [], np.empty((M, 2), bool), np.empty((M, 2), bool)
    for i in (0, 1):
        reply = sigma[:, 1 - i, :]  # [M, a]: the rival's answer to price a
        rewards = pay.T[None, :, :] + delta * pay[own[None, :], reply][:, None, :]  # [M, s, a]
        following = np.broadcast_to(reply[:, None, :], (M, m, m))
        j = judge(rewards, np.ascontiguousarray(following), sigma[:, i, :], delta * delta)
        seen, where = _seen(cycle, i)
        optimal = np.take_along_axis(j.optimal, seen.T, axis=1)  # [M, L]
        on_path[:, i] = (optimal | ~where.T).all(axis=1)
        everywhere[:, i] = j.optimal.all(axis=1)
        value = np.take_along_axis(j.value, seen.T, axis=1)
        best = np.take_along_axis(j.best_value, seen.T, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # a value of 0: no share (NaN)
            rel = np.where(np.abs(value) > 0, (best - value) / np.abs(value), np.nan)
        gap = np.where(where.T, rel, -np.inf).max(axis=1)
        first = where.T.argmax(axis=1)
        rows.append(
            pd.DataFrame(
                {
                    "market": np.arange(M),
                    "firm": i,
                    "discount": delta,
                    "value": value[np.arange(M), first],
                    "best_value": best[np.arange(M), first],
                    "gain_on_path_pct": 100.0 * np.maximum(gap, 0.0),
                    "best_response_on_path": verdicts(on_path[:, i]),
                    "best_response_share": j.optimal.mean(axis=1),
                }
            )
        )
    table = pd.concat(rows).sort_values(["market", "firm"], kind="stable").reset_index(drop=True)
    return Judged(on_path, everywhere, table)


def _play_out(
    model: SequentialPricingModel, play: Play, start: np.ndarray, periods: int, forced: int
) -> np.ndarray:
    """Prices ``[M, periods + 1, 2]`` from ``start`` (firm 0 to move first).

    Firm 0 is forced ``forced`` times to its static best response; play is greedy otherwise.
    """
    best_reply = model.payoffs.argmax(axis=0)  # [rival price]: the one-shot best response
    path = np.empty((start.shape[0], periods + 1, 2), dtype=np.int64)
    path[:, 0] = prices = start.copy()
    for tau in range(1, periods + 1):
        seat = (tau - 1) % 2
        if seat == 0 and (tau + 1) // 2 <= forced:
            prices[:, 0] = best_reply[prices[:, 1]]
        else:
            prices[:, seat] = play(prices, seat)
        path[:, tau] = prices
    return path


def forced_deviation(
    model: SequentialPricingModel, play: Play, cycle: Cycle, delta: float, horizon: int
) -> Deviation:
    """Firm 0 undercuts for ``model.deviation_periods`` moves from its cycle (module doc)."""
    M, L = model.n_markets, model.deviation_periods
    start = cycle.start if cycle.first == 0 else cycle.pairs[0]  # firm 0 moves next
    shown = 2 * L + horizon
    long = shown
    if 0.0 < delta < 1.0:  # long enough that what lies beyond weighs under 10⁻¹²
        long = max(shown, math.ceil(math.log(1e-12) / math.log(delta)))
    path = _play_out(model, play, start, long, L)
    calm = _play_out(model, play, start, long, 0)
    weights = delta ** np.arange(long)
    gain_pct = np.full(M, np.nan)
    if 0 < delta < 1:
        deviate = model.profits_of(path[:, 1:])[..., 0] @ weights
        stay = model.profits_of(calm[:, 1:])[..., 0] @ weights
        with np.errstate(divide="ignore", invalid="ignore"):
            gain_pct = np.where(np.abs(stay) > 0, 100.0 * (deviate - stay) / np.abs(stay), np.nan)
    prices = model.prices_grid[path[:, : shown + 1]]  # [M, T + 1, 2]
    pairs = np.where((cycle.length > 0)[None, :, None], cycle.pairs, 0)
    before = model.prices_grid[pairs[..., 1]]  # firm 1's prices on the cycle
    on = np.arange(pairs.shape[0])[:, None] < np.maximum(cycle.length, 1)[None, :]
    rival_before = (before * on).sum(0) / on.sum(0)
    depth = np.maximum(rival_before - prices[:, 2:, 1].min(axis=1), 0.0)
    spread = rival_before - model.market.p_nash
    with np.errstate(divide="ignore", invalid="ignore"):
        depth_share = np.where(spread > 1e-12, depth / spread, np.nan)
    return Deviation(
        table=_impulse(model, path[:, : shown + 1]),
        measures={
            "punishment_depth": depth,
            "punishment_depth_share": depth_share,
            "punishment_length": _back_on_cycle(model, path[:, : shown + 1], cycle, 2 * L - 1),
            "deviation_gain_pct": gain_pct,
        },
    )


def _back_on_cycle(
    model: SequentialPricingModel, path: np.ndarray, cycle: Cycle, last_forced: int
) -> np.ndarray:
    """Periods after the last forced move until play is back on its cycle.

    0: the deviation left no trace; −1: not back within the horizon (it may have settled on
    another cycle) — as the pricing market's ``punishment_length``.
    """
    T = path.shape[1] - 1
    nxt = np.arange(T + 1) % 2  # after period τ, firm τ mod 2 moves (τ = 0: firm 0)
    codes = state_code(path, nxt[None, :], model.n_prices)  # [M, T + 1]
    on_cycle = _cycle_codes(model, cycle)  # [M, L]
    member = (codes[:, :, None] == on_cycle[:, None, :]).any(axis=2)
    later = member[:, last_forced:]  # from the state right after the last forced move
    return np.where(later.any(axis=1), later.argmax(axis=1), -1).astype(np.int64)


def _cycle_codes(model: SequentialPricingModel, cycle: Cycle) -> np.ndarray:
    """The states on each market's cycle as numbers ``[M, L]`` (−1 pads)."""
    L = cycle.pairs.shape[0]
    nxt = (cycle.first + 1 + np.arange(L)) % 2
    code = state_code(cycle.pairs, nxt[:, None], model.n_prices)  # [L, M]
    return np.where(np.arange(L)[:, None] < cycle.length[None, :], code, -1).T


def _impulse(model: SequentialPricingModel, path: np.ndarray) -> pd.DataFrame:
    """The ``impulse`` table: both firms' prices and profits, ``tau`` 0 before the deviation."""
    M, T1, _ = path.shape
    return pd.DataFrame(
        {
            "market": np.repeat(np.arange(M), T1 * 2),
            "tau": np.tile(np.repeat(np.arange(T1), 2), M),
            "firm": np.tile(np.arange(2), M * T1),
            "price": model.prices_grid[path].ravel(),
            "profit": model.profits_of(path).ravel(),
        }
    )
