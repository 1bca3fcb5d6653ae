"""What pricing algorithms learned: greedy cycles, profit gains, impulse responses, summaries.

Calvano et al. (2020) judge a converged session by where its greedy strategies lead: from the
final state, the firms' greedy prices (no exploration) trace a path that ends in a cycle of
price vectors; the profit gain Δ is measured on that cycle. Their impulse response asks *why*
prices stay high: force one firm to undercut for one period and watch the rival punish, then
both return to the high prices. Both are computed here for all markets at once from nothing
but a function giving every firm's greedy action, so they work for any learner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PUBLISHED", "Cycles", "greedy_cycles", "impulse_response", "study_summary"]

Play = Callable[[np.ndarray], np.ndarray]  # history [M, k, n] → actions [M, n]
Advance = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (history, actions) → history
Code = Callable[[np.ndarray], np.ndarray]  # history [M, k, n] → int64[M]

#: Calvano et al. (2020) baseline results, as listed in ``shared/REFERENCES.md``.
PUBLISHED = {
    "delta_mean": 0.85,
    "delta_sd": 0.11,
    "converged_share": 1.0,
    "convergence_periods_mean": 1.75e6,
}


@dataclass(frozen=True)
class Cycles:
    """The greedy cycle of every market.

    Attributes:
        length: Cycle length per market, ``int64[M]``.
        start: The first history on the cycle, ``int64[M, k, n]``.
        actions: The action profiles played around the cycle from ``start``,
            ``int64[M, max length, n]``, padded with −1 after each market's length.

    """

    length: np.ndarray
    start: np.ndarray
    actions: np.ndarray


def greedy_cycles(
    history: np.ndarray, play: Play, advance: Advance, code: Code, max_steps: int = 10_000_000
) -> Cycles:
    """Follow greedy play from ``history`` into its cycle, for every market at once.

    Brent's cycle detection (1980), vectorized over markets: the cycle length λ first, then its
    first state, then one walk around it.

    Args:
        history: Each market's state, ``[M, k, n]``.
        play: Greedy actions in given states.
        advance: The state after given actions.
        code: A unique integer per state.
        max_steps: Give up (RuntimeError) after this many steps without finding every cycle.

    """
    M = history.shape[0]
    step = lambda h: advance(h, play(h))  # noqa: E731
    power = np.ones(M, dtype=np.int64)
    lam = np.ones(M, dtype=np.int64)
    tortoise = code(history)
    hare = step(history)
    found = np.zeros(M, dtype=bool)
    for _ in range(max_steps):
        hare_code = code(hare)
        found |= hare_code == tortoise
        if found.all():
            break
        reset = ~found & (power == lam)
        tortoise = np.where(reset, hare_code, tortoise)
        power = np.where(reset, power * 2, power)
        lam = np.where(reset, 0, lam)
        hare = _where(~found, step(hare), hare)
        lam = np.where(~found, lam + 1, lam)
    else:
        raise RuntimeError(f"no greedy cycle found within {max_steps} steps")
    # The cycle's first state: a hare λ steps ahead meets the tortoise there.
    tortoise, hare = history, history
    for i in range(int(lam.max())):
        hare = _where(i < lam, step(hare), hare)
    while True:
        apart = code(tortoise) != code(hare)
        if not apart.any():
            break
        tortoise = _where(apart, step(tortoise), tortoise)
        hare = _where(apart, step(hare), hare)
    start = tortoise
    actions = np.full((M, int(lam.max()), history.shape[2]), -1, dtype=np.int64)
    h = start
    for j in range(int(lam.max())):
        acts = play(h)
        actions[:, j] = np.where((j < lam)[:, None], acts, -1)
        h = advance(h, acts)
    return Cycles(length=lam, start=start, actions=actions)


def impulse_response(
    start: np.ndarray,
    play: Play,
    advance: Advance,
    deviate: Callable[[np.ndarray], np.ndarray],
    horizon: int = 25,
) -> np.ndarray:
    """Action profiles after a one-period forced deviation, ``int64[M, horizon + 1, n]``.

    ``tau = 0`` is the last profile of ``start`` (before the deviation); at ``tau = 1`` the
    deviating firm plays ``deviate(greedy profile)`` (its static best response to the others'
    greedy prices) while the others play greedily; from ``tau = 2`` everyone is greedy again.
    Learning stays frozen throughout.
    """
    M, _, n = start.shape
    path = np.empty((M, horizon + 1, n), dtype=np.int64)
    path[:, 0] = start[:, 0]
    h = start
    for tau in range(1, horizon + 1):
        acts = play(h)
        if tau == 1:
            acts = deviate(acts)
        path[:, tau] = acts
        h = advance(h, acts)
    return path


def _where(mask: np.ndarray, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Per-market choice between two histories ``[M, k, n]``."""
    return np.where(mask[:, None, None], new, old)


def study_summary(results: Any) -> dict[str, pd.DataFrame]:
    """A Calvano-style report of a pricing study, next to the published baseline.

    ``outcomes``: for every swept setting, the profit gain Δ across markets (each market's Δ
    is the mean over its firms, as in the paper), the share of converged markets and the mean
    convergence time excluding the final stability window. ``impulse``: the average greedy
    prices of the deviating firm and its rival around a forced deviation.

    Args:
        results: A :class:`socialrl.study.StudyResults` of a pricing study.

    """
    markets = results.table("markets")
    by = results.swept
    window = _stability_window(results)
    per_market = markets.groupby(["run_id", "market", *by], dropna=False, as_index=False).agg(
        delta=("delta", "mean"),
        converged=("converged", "first"),
        converged_at=("converged_at", "first"),
        cycle_length=("cycle_length", "first"),
    )
    per_market["periods"] = np.where(
        per_market["converged"], per_market["converged_at"] - window, np.nan
    )
    groups = per_market.groupby(by, dropna=False) if by else per_market.groupby(lambda _: "all")
    outcomes = groups.agg(
        markets=("delta", "size"),
        delta_mean=("delta", "mean"),
        delta_sd=("delta", "std"),
        converged_share=("converged", "mean"),
        periods_mean=("periods", "mean"),
        cycle_1_share=("cycle_length", lambda c: float((c == 1).mean())),
    ).reset_index()
    if not by:
        outcomes = outcomes.drop(columns="index")
    outcomes["delta_published"] = PUBLISHED["delta_mean"]
    outcomes["periods_published"] = PUBLISHED["convergence_periods_mean"]
    impulse = results.table("impulse")
    mean_path = impulse.groupby(["tau", "firm"])["price"].mean().unstack("firm")
    table = pd.DataFrame({"tau": mean_path.index})
    table["deviator_price"] = mean_path[0].to_numpy()
    table["rival_price"] = mean_path.drop(columns=0).mean(axis=1).to_numpy()
    first = markets.drop_duplicates("run_id")
    table["p_nash"] = float(first["p_nash"].mean())
    table["p_monopoly"] = float(first["p_monopoly"].mean())
    return {"outcomes": outcomes, "impulse response (mean over markets)": table.head(16)}


def _stability_window(results: Any) -> int:
    """The study's convergence window (``run.stop_when_stable``; 0 if none)."""
    value = results.spec.run.stop_when_stable
    return int(value or 0)
