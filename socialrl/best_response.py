"""Best responses to fixed strategies: is what the agents learned an equilibrium.

Calvano et al. (2020, Table 1) ask of converged pricing algorithms whether their strategies
form a Nash equilibrium of the repeated game: holding the rivals' learned (greedy) strategies
fixed, could a firm do better? With the rivals fixed and the game deterministic, an agent
faces a deterministic Markov decision problem over the game's states: reward ``r(s, a)`` and
next state ``s'(s, a)`` for each of its actions. Its best-response values solve the Bellman
optimality equation::

    Q*(s, a) = r(s, a) + δ max_a' Q*(s'(s, a), a')

(value iteration; a contraction for ``δ < 1``), and the value of its own strategy σ solves
``V_σ(s) = r(s, σ(s)) + δ V_σ(s'(s, σ(s)))``. σ is a best response in ``s`` when
``Q*(s, σ(s)) = max_a Q*(s, a)``. Each market model builds ``r`` and ``s'`` from its own
rules (the pricing market over price histories, the auction over revealed bids, alternating
firms over the rival's price, with ``δ²`` per move) and judges its agents with
:func:`judge`; everything is vectorised over sessions, ``[M, S, A]`` arrays.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from socialrl.capabilities import Discounting

__all__ = [
    "OPTIMAL",
    "REGULATOR_COLUMNS",
    "REGULATOR_GLOSSARY",
    "TOLERANCE",
    "Judgement",
    "common_discount",
    "judge",
    "optimal_values",
    "policy_values",
    "regulator_summary",
    "session_verdicts",
    "verdicts",
]

#: What a market model's ``markets`` table says of each session's learned strategies.
REGULATOR_COLUMNS = (
    "nash_on_path",
    "subgame_perfect",
    "punishment_depth",
    "punishment_length",
    "deviation_gain_pct",
)

#: What :func:`regulator_summary`'s columns mean (for the plugins' glossaries).
REGULATOR_GLOSSARY = {
    "nash_share": (
        "share of sessions whose learned strategies are a Nash equilibrium on the path they "
        "reach: no agent gains by any other strategy, the others' held fixed (Calvano et al. "
        "2020, Table 1)"
    ),
    "spe_share": "share of sessions whose strategies are best responses in every state",
    "deviation_gain_pct_mean": (
        "a forced deviation's gain for the deviator, % of its discounted value without it; "
        "mean across sessions (negative: the deviation does not pay)"
    ),
    "punishment_depth_mean": (
        "how far the others move against the deviator after it (a price cut; in auctions a "
        "bid rise), mean across sessions"
    ),
    "returned_share": "share of sessions back on their pre-deviation cycle within the horizon",
    "punishment_length_mean": (
        "periods from the end of the deviation until play is back on its cycle, mean over "
        "the sessions that returned"
    ),
}

#: Value iteration stops once no value moves by more than this share of the largest one.
TOLERANCE = 1e-12
#: A greedy action is a best response when its value is within this share of the best one.
OPTIMAL = 1e-9


def optimal_values(rewards: np.ndarray, following: np.ndarray, delta: float) -> np.ndarray:
    """``Q*[M, S, A]`` by value iteration on ``Q = r + δ max Q(s', ·)``.

    Args:
        rewards: ``r(s, a)``, ``float64[M, S, A]``.
        following: ``s'(s, a)``, ``int64[M, S, A]`` (states of the same session).
        delta: Discount factor in ``[0, 1)``.

    """
    if not 0.0 <= delta < 1.0:
        raise ValueError(f"best responses need a discount factor in [0, 1), got {delta}")
    M, S, A = rewards.shape
    flat = following.reshape(M, S * A)
    v = rewards.max(axis=2)
    scale = max(float(np.abs(rewards).max()), 1e-300) / (1.0 - delta)
    while True:
        q = rewards + delta * np.take_along_axis(v, flat, axis=1).reshape(M, S, A)
        v_new = q.max(axis=2)
        if np.abs(v_new - v).max() <= TOLERANCE * scale:
            return q
        v = v_new


def policy_values(
    rewards: np.ndarray, following: np.ndarray, policy: np.ndarray, delta: float
) -> np.ndarray:
    """``V_σ[M, S]``: the discounted reward of following ``policy`` ``int64[M, S]`` forever."""
    r = np.take_along_axis(rewards, policy[..., None], axis=2)[..., 0]
    nxt = np.take_along_axis(following, policy[..., None], axis=2)[..., 0]
    v = r.copy()
    scale = max(float(np.abs(r).max()), 1e-300) / (1.0 - delta)
    while True:
        v_new = r + delta * np.take_along_axis(v, nxt, axis=1)
        if np.abs(v_new - v).max() <= TOLERANCE * scale:
            return v_new
        v = v_new


class Judgement(NamedTuple):
    """One agent's strategy against the others', in every state, ``[M, S]``.

    Attributes:
        value: ``V_σ``: what its own strategy earns from each state.
        best_value: ``V* = max_a Q*``: what a best response would earn.
        optimal: Whether σ is a best response in each state.

    """

    value: np.ndarray
    best_value: np.ndarray
    optimal: np.ndarray


def judge(
    rewards: np.ndarray, following: np.ndarray, policy: np.ndarray, delta: float
) -> Judgement:
    """Solve the agent's problem against fixed rivals and compare its own strategy with it."""
    q = optimal_values(rewards, following, delta)
    best = q.max(axis=2)
    mine = np.take_along_axis(q, policy[..., None], axis=2)[..., 0]
    return Judgement(
        value=policy_values(rewards, following, policy, delta),
        best_value=best,
        optimal=mine >= best - OPTIMAL * np.abs(best),
    )


def common_discount(population: Any, role: str, default: float = 0.95) -> float:
    """The discount factor the role's learners value the future with.

    A model judges its agents with their own γ (:class:`~socialrl.capabilities.Discounting`),
    so sweeping ``population.<role>.gamma`` moves the analysis with it; ``default`` (Calvano's
    and Klein's 0.95) where no learner states one or the learners differ.

    Args:
        population: The run's population (its ``bound_groups``).
        role: The role whose learners count.
        default: The factor used where the learners give none, or several.

    """
    found = {
        learner.discount()
        for _name, of, learner, _slots in population.bound_groups
        if of == role and isinstance(learner, Discounting)
    }
    return found.pop() if len(found) == 1 else default


def regulator_summary(sessions: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """A competition authority's reading of a study, one row per setting in ``by``.

    Args:
        sessions: One row per session (the unit of analysis) with :data:`REGULATOR_COLUMNS`.
        by: The swept parameters (empty: one row for the whole study).

    Returns:
        ``nash_share`` and ``spe_share`` (shares of sessions whose strategies are a Nash
        equilibrium on their path, and everywhere), the mean ``deviation_gain_pct`` of a
        forced deviation, the mean ``punishment_depth``, ``returned_share`` (sessions back on
        their cycle after it) and their mean ``punishment_length``. Sessions not analysed
        (NaN) are left out of each mean.

    """
    frame = sessions.copy()
    frame["returned"] = (frame["punishment_length"] >= 0).astype(float)
    frame["length_back"] = frame["punishment_length"].where(frame["punishment_length"] >= 0)
    for verdict in ("nash_on_path", "subgame_perfect"):  # yes 1, no 0, not judged NaN
        frame[verdict] = frame[verdict].map({True: 1.0, False: 0.0}).astype(float)
    groups = frame.groupby(by, dropna=False) if by else frame.groupby(lambda _: "all")
    out = groups.agg(
        nash_share=("nash_on_path", "mean"),
        spe_share=("subgame_perfect", "mean"),
        deviation_gain_pct_mean=("deviation_gain_pct", "mean"),
        punishment_depth_mean=("punishment_depth", "mean"),
        returned_share=("returned", "mean"),
        punishment_length_mean=("length_back", "mean"),
    )
    return out.reset_index(drop=True)


def verdicts(values: np.ndarray) -> pd.arrays.BooleanArray:
    """A yes/no column that may be unknown (NaN: not judged) as nullable booleans.

    Every run of a study then writes the column as Parquet ``bool`` (with nulls where the
    analysis was skipped, e.g. under random demand), so the runs' tables stack: a float
    column of NaN beside a ``bool`` one would not.
    """
    arr = np.asarray(values, dtype=np.float64)
    unknown = np.isnan(arr)
    return pd.arrays.BooleanArray(np.where(unknown, 0.0, arr).astype(bool), unknown)


def session_verdicts(per_agent: np.ndarray) -> pd.arrays.BooleanArray:
    """Each session's verdict, one row per agent: yes where every agent's is (``[M, n]``).

    Unknown (NaN) where the agents were not judged, e.g. without a discount factor below 1.
    """
    judged = np.asarray(per_agent, dtype=np.float64)
    n = judged.shape[1]
    market = np.where(np.isnan(judged).any(axis=1), np.nan, (judged > 0).all(axis=1))
    return verdicts(np.repeat(market, n))
