"""What pricing algorithms learned: greedy cycles and impulse responses.

Calvano et al. (2020) judge a converged session by where its greedy strategies lead: from the
final state, the firms' greedy prices (no exploration) trace a path that ends in a cycle of
price vectors; the profit gain Δ is measured on that cycle. Their impulse response asks *why*
prices stay high: force one firm to undercut for one period (here: for any number of periods)
and watch the rival punish, then both return to the high prices. Both are computed here for
all markets at once from nothing but a function giving every firm's greedy action, so they
work for any learner; :mod:`~socialrl_models.pricing.final_tables` writes both as tables at
the end of a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Cycles", "greedy_cycles", "impulse_response"]

Play = Callable[[np.ndarray], np.ndarray]  # history [M, k, n] → actions [M, n]
Advance = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (history, actions) → history
Code = Callable[[np.ndarray], np.ndarray]  # history [M, k, n] → int64[M]


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
    periods: int = 1,
) -> np.ndarray:
    """Action profiles after a forced deviation of ``periods`` periods, ``int64[M, T + 1, n]``.

    ``tau = 0`` is the last profile of ``start`` (before the deviation); at ``tau = 1 …
    periods`` the deviating firm plays ``deviate(greedy profile)`` (its static best response
    to the others' greedy prices of that period) while the others play greedily — they may
    already be punishing; after that everyone is greedy again. Learning stays frozen
    throughout. The horizon ``T`` is at least ``periods + horizon − 1``, so every deviation
    length is followed by as many free periods.
    """
    M, _, n = start.shape
    horizon = max(horizon, periods + horizon - 1)
    path = np.empty((M, horizon + 1, n), dtype=np.int64)
    path[:, 0] = start[:, 0]
    h = start
    for tau in range(1, horizon + 1):
        acts = play(h)
        if tau <= periods:
            acts = deviate(acts)
        path[:, tau] = acts
        h = advance(h, acts)
    return path


def _where(mask: np.ndarray, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Per-market choice between two histories ``[M, k, n]``."""
    return np.where(mask[:, None, None], new, old)
