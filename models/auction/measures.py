"""What a competition authority asks of learning bidders: equilibrium, punishment, deviation.

Banchio & Skrzypacz (2022) find bidders that learn to bid far below value in first-price
auctions. Calvano et al.'s (2020, Table 1) questions apply: is each bidder's learned
strategy a best response to the others' — on the path they reach, and in every state? After
a forced deviation, do the others punish, for how long, and did the deviation pay?

**Best responses.** With the others' greedy bids ``σ₋ᵢ(s)`` fixed, bidder ``i`` in state
``s`` (the last winning bid, revealed; or the one state of stateless bidders) that bids
``b`` earns its expected payoff ``u_i(b, σ₋ᵢ(s))`` (ties split in expectation) and reveals
``s' = `` the winning bid: a deterministic decision problem over the ``m + 1`` states,
judged by :func:`socialrl.best_response.judge` with the learners' γ. Stateless bidders can
neither punish nor be punished: their best response is the one-shot one.

**Forced deviation.** From a state of the greedy cycle, bidder 0 bids its one-shot best
response to the others' greedy bids (it outbids them) for ``L`` periods, the others follow
their greedy strategies, then everyone does. Punishment here is the others *raising* their
bids: its depth is the largest rise of their mean bid above its level on the cycle; the
deviation's gain compares bidder 0's discounted expected payoff with and without it, over a
horizon long enough that ``δ^H < 10⁻¹²``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from socialrl.best_response import judge, verdicts

from .theory import expected_payoffs

if TYPE_CHECKING:
    from .model import AuctionModel

__all__ = ["Judged", "forced_deviation", "judge_strategies", "revealed_after"]

#: ``revealed winning bid [M] → greedy bid indices [M, n]``.
Play = Callable[[np.ndarray], np.ndarray]


class Judged(NamedTuple):
    """Each bidder's greedy strategy against its best response.

    Attributes:
        on_path: ``bool[M, n]``: a best response in every state on the cycle.
        everywhere: ``bool[M, n]``: a best response in every state (subgame perfect).
        table: The ``equilibrium`` table, one row per auction and bidder.

    """

    on_path: np.ndarray
    everywhere: np.ndarray
    table: pd.DataFrame


def revealed_after(model: AuctionModel, profiles: np.ndarray) -> np.ndarray:
    """The state after bid profiles ``[..., n]``: the winning bid's index, ``m`` if unsold.

    Stateless bidders (no disclosure) are always in state 0.
    """
    if not model.disclosure:
        return np.zeros(profiles.shape[:-1], dtype=np.int64)
    top = profiles.max(axis=-1)
    return np.where(model.rules.bids[top] >= model.rules.reserve, top, model.n_bids)


def _problem(model: AuctionModel, sigma: np.ndarray, seat: int) -> tuple[np.ndarray, np.ndarray]:
    """Bidder ``seat``'s rewards and next states ``[M, S, m]`` against the others' σ."""
    M, S, n = sigma.shape
    m = model.n_bids
    profiles = np.broadcast_to(sigma[:, :, None, :], (M, S, m, n)).copy()
    profiles[..., seat] = np.arange(m)
    rewards = expected_payoffs(model.rules.bids[profiles], model.rules)[..., seat]
    return rewards, revealed_after(model, profiles)


def cycle_states(model: AuctionModel, profiles: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The states on each auction's greedy cycle ``[M, L]`` (−1 pads)."""
    after = revealed_after(model, profiles).T  # [M, L]: the state each profile leads to
    return np.where(np.arange(profiles.shape[0])[None, :] < length[:, None], after, -1)


def judge_strategies(model: AuctionModel, play: Play, states: np.ndarray, delta: float) -> Judged:
    """Solve each bidder's problem against the others' greedy bids (module doc).

    Args:
        model: The auctions.
        play: The greedy bids in given states.
        states: The states on each auction's cycle, ``[M, L]`` (−1 pads).
        delta: The learners' discount factor (NaN verdicts unless ``0 ≤ δ < 1``).

    """
    M, n = model.n_markets, model.n_bidders
    S = model.n_bids + 1 if model.disclosure else 1
    if not 0.0 <= delta < 1.0:
        nan = np.full((M, n), np.nan)
        table = pd.DataFrame({"market": np.repeat(np.arange(M), n),
                              "bidder": np.tile(np.arange(n), M),
                              "discount": delta, "value": np.nan, "best_value": np.nan,
                              "gain_on_path_pct": np.nan,
                              "best_response_on_path": verdicts(np.full(M * n, np.nan)),
                              "best_response_share": np.nan})  # fmt: skip
        return Judged(nan, nan, table)
    sigma = np.stack([play(np.full(M, s, dtype=np.int64)) for s in range(S)], axis=1)
    valid = states >= 0
    visited = np.maximum(states, 0)
    on_path, everywhere = np.empty((M, n), bool), np.empty((M, n), bool)
    rows = []
    for i in range(n):
        rewards, following = _problem(model, sigma, i)
        j = judge(rewards, following, sigma[:, :, i], delta)
        optimal = np.take_along_axis(j.optimal, visited, axis=1) | ~valid
        on_path[:, i] = optimal.all(axis=1)
        everywhere[:, i] = j.optimal.all(axis=1)
        value = np.take_along_axis(j.value, visited, axis=1)
        best = np.take_along_axis(j.best_value, visited, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # a value of 0: no share (NaN)
            rel = np.where(np.abs(value) > 0, (best - value) / np.abs(value), np.nan)
        gap = np.where(valid, rel, -np.inf).max(axis=1)
        rows.append(
            pd.DataFrame(
                {
                    "market": np.arange(M),
                    "bidder": i,
                    "discount": delta,
                    "value": value[:, 0],
                    "best_value": best[:, 0],
                    "gain_on_path_pct": 100.0 * np.maximum(gap, 0.0),
                    "best_response_on_path": verdicts(on_path[:, i]),
                    "best_response_share": j.optimal.mean(axis=1),
                }
            )
        )
    table = pd.concat(rows).sort_values(["market", "bidder"], kind="stable")
    return Judged(on_path, everywhere, table.reset_index(drop=True))


def _play_out(
    model: AuctionModel, play: Play, start: np.ndarray, periods: int, forced: int
) -> np.ndarray:
    """Bid profiles ``[M, periods, n]`` from states ``start``.

    Bidder 0 is forced ``forced`` times to its one-shot best response; play is greedy
    otherwise.
    """
    M, m = model.n_markets, model.n_bids
    path = np.empty((M, periods, model.n_bidders), dtype=np.int64)
    state = start.copy()
    own = np.arange(m)
    for tau in range(periods):
        bids = play(state)
        if tau < forced:
            trial = np.repeat(bids[:, None, :], m, axis=1)  # [M, m, n]
            trial[:, :, 0] = own
            payoff = expected_payoffs(model.rules.bids[trial], model.rules)[..., 0]
            bids[:, 0] = payoff.argmax(axis=1)
        path[:, tau] = bids
        state = revealed_after(model, bids)
    return path


def forced_deviation(
    model: AuctionModel,
    play: Play,
    profiles: np.ndarray,
    states: np.ndarray,
    delta: float,
    horizon: int = 25,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Bidder 0 outbids for ``model.deviation_periods`` periods (module doc).

    Returns:
        ``(impulse table, {measure: [M]})``: the path (``tau`` 0 the cycle's last profile,
        1 … L the deviation) and the punishment depth and length and the deviation's gain.

    """
    M, L = model.n_markets, model.deviation_periods
    length = (states >= 0).sum(axis=1)
    last = profiles[length - 1, np.arange(M)]  # [M, n]: the cycle's last profile
    start = revealed_after(model, last)  # the state its first profile is played in
    shown = L + horizon
    long = shown
    if 0.0 < delta < 1.0:  # long enough that what lies beyond weighs under 10⁻¹²
        long = max(shown, math.ceil(math.log(1e-12) / math.log(delta)))
    path = _play_out(model, play, start, long, L)
    calm = _play_out(model, play, start, long, 0)
    gain = np.full(M, np.nan)
    if 0.0 < delta < 1.0:
        weights = delta ** np.arange(long)
        deviate = expected_payoffs(model.rules.bids[path], model.rules)[..., 0] @ weights
        stay = expected_payoffs(model.rules.bids[calm], model.rules)[..., 0] @ weights
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(np.abs(stay) > 0, 100.0 * (deviate - stay) / np.abs(stay), np.nan)
    shown_path = np.concatenate([last[:, None], path[:, :shown]], axis=1)  # [M, T + 1, n]
    bids = model.rules.bids[shown_path]
    on = np.arange(profiles.shape[0])[:, None] < length[None, :]  # [L, M]
    rivals_cycle = model.rules.bids[profiles[..., 1:]].mean(axis=-1)  # [L, M]
    rivals_before = (rivals_cycle * on).sum(0) / length
    rise = np.maximum(bids[:, 2:, 1:].mean(axis=-1).max(axis=1) - rivals_before, 0.0)
    after = revealed_after(model, shown_path)  # [M, T + 1]
    member = (after[:, :, None] == states[:, None, :]).any(axis=2)
    later = member[:, L:]  # from the state right after the last forced period
    back = np.where(later.any(axis=1), later.argmax(axis=1), -1).astype(np.int64)
    n = model.n_bidders
    T1 = shown_path.shape[1]
    table = pd.DataFrame(
        {
            "market": np.repeat(np.arange(M), T1 * n),
            "tau": np.tile(np.repeat(np.arange(T1), n), M),
            "bidder": np.tile(np.arange(n), M * T1),
            "bid": bids.ravel(),
            "payoff": expected_payoffs(bids, model.rules).ravel(),
        }
    )
    measures = {
        "punishment_depth": rise,
        "punishment_length": back,
        "deviation_gain_pct": gain,
    }
    return table, measures
