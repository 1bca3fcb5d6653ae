"""What a competition authority asks of learned prices: equilibrium, punishment, deviation.

Calvano et al. (2020, Table 1 and §IV) ask more of converged algorithms than high prices: are
their strategies a Nash equilibrium of the repeated game (is each firm's greedy strategy a
best response to the others'), on the path they reach and in every state (subgame perfect)?
How deep and how long is the punishment after a deviation, and does the deviation pay?

With the rivals' greedy strategies held fixed, firm ``i`` faces a deterministic Markov
decision problem over histories: its reward ``π_i(a, σ₋ᵢ(s))`` and the next history follow
from its own price ``a``. Its best-response values are the fixed point of the Bellman
optimality equation::

    Q*_i(s, a) = π_i(a, σ₋ᵢ(s)) + δ max_a' Q*_i(s'(s, a), a')

(value iteration in :mod:`socialrl.best_response`; ``δ < 1`` makes it a contraction), and
the value of its own greedy strategy σ_i solves ``V_i(s) = π_i(σ(s)) + δ V_i(s'(s, σ_i(s)))``.
σ_i is a best response in ``s`` when ``Q*_i(s, σ_i(s)) = max_a Q*_i(s, a)``. Histories are
numbered as firm 0 sees them (its
:func:`~socialrl_models.pricing.states.state_weights`): digit ``lag · n + j`` is firm ``j``'s
price ``lag`` periods ago, so the next history is the joint action's number plus the older
lags shifted by ``m^n``.

Everything is vectorised over markets: ``[M, S, m]`` arrays, ``S = m^(n·k)`` histories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialrl.best_response import judge

__all__ = [
    "BestResponses",
    "best_responses",
    "deviation_value",
    "forgiveness",
    "histories",
    "punishment",
    "responses",
]


def histories(n: int, m: int, k: int) -> np.ndarray:
    """Every history ``int64[S, k, n]``, row ``c`` the one firm 0 numbers ``c``."""
    codes = np.arange(m ** (n * k), dtype=np.int64)
    digits = m ** np.arange(n * k, dtype=np.int64)  # lag-major: digit lag · n + j
    return ((codes[:, None] // digits[None, :]) % m).reshape(-1, k, n)


def responses(
    payoffs: np.ndarray, strategies: np.ndarray, seat: int, m: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Firm ``seat``'s reward and next history for each own price, the others held to σ.

    Args:
        payoffs: ``π[n, m^n]`` over joint actions ``Σ_j a_j m^j``.
        strategies: Every firm's greedy action in every history, ``int64[M, S, n]``.
        seat: The firm whose problem this is.
        m: Prices on the grid.
        k: Periods of memory.

    Returns:
        ``(rewards float64[M, S, m], next_history int64[M, S, m])``.

    """
    n = strategies.shape[2]
    joint_weights = m ** np.arange(n, dtype=np.int64)
    base = strategies @ joint_weights  # [M, S]: the greedy joint action
    own = np.arange(m)[None, None, :] - strategies[:, :, seat, None]  # a − σ_i(s)
    joint = base[..., None] + own * joint_weights[seat]  # [M, S, m]
    older = np.arange(strategies.shape[1], dtype=np.int64) % (m ** (n * (k - 1)))
    return payoffs[seat][joint], joint + (older * m**n)[None, :, None]


@dataclass(frozen=True)
class BestResponses:
    """Firm-by-firm best-response analysis of learned strategies, ``[M, n]`` or ``[M, n, S]``.

    Attributes:
        value: ``V_σ,i`` in every history: firm i's discounted profit from its own strategy.
        best_value: ``V*_i = max_a Q*_i``: what its best response to the others would earn.
        optimal: Whether σ_i is a best response in each history, ``bool[M, n, S]``.

    """

    value: np.ndarray
    best_value: np.ndarray
    optimal: np.ndarray


def best_responses(
    payoffs: np.ndarray, strategies: np.ndarray, m: int, k: int, delta: float
) -> BestResponses:
    """Solve every firm's problem against the others' greedy strategies (module doc)."""
    M, S, n = strategies.shape
    value, best, optimal = (np.empty((M, n, S)) for _ in range(3))
    for seat in range(n):
        rewards, following = responses(payoffs, strategies, seat, m, k)
        value[:, seat], best[:, seat], optimal[:, seat] = judge(
            rewards, following, strategies[:, :, seat], delta
        )
    return BestResponses(value=value, best_value=best, optimal=optimal.astype(bool))


def deviation_value(
    profits: np.ndarray, after: np.ndarray, periods: int, delta: float
) -> np.ndarray:
    """The deviator's value of a forced deviation: ``Σ_{τ=1}^{L} δ^(τ−1) π(τ) + δ^L V_σ(h_L)``.

    Args:
        profits: The deviator's profit at ``τ = 1 … L`` of the deviation path, ``[M, L]``.
        after: Its value ``V_σ`` of the history right after the last forced period, ``[M]``.
        periods: ``L``.
        delta: Discount factor.

    """
    weights = delta ** np.arange(periods)
    return profits[:, :periods] @ weights + delta**periods * after


def punishment(
    rival: np.ndarray, before: np.ndarray, p_nash: float
) -> tuple[np.ndarray, np.ndarray]:
    """How hard the rivals punish: the depth of their price cut after the deviation.

    Args:
        rival: The rivals' mean price on the impulse path, ``[M, T + 1]`` (``τ = 0 … T``).
        before: Their mean price on the cycle before the deviation, ``[M]``.
        p_nash: The (mean) Bertrand–Nash price.

    Returns:
        ``(depth, relative_depth)``: the largest cut below ``before`` from ``τ = 2`` on (the
        rivals answer the period after the deviation starts), in price, and as a share of
        ``before − p_Nash`` (1: all the way to Nash; NaN where the cycle is at Nash).

    """
    depth = np.maximum(before - rival[:, 2:].min(axis=1), 0.0)
    spread = before - p_nash
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(spread > 1e-12, depth / spread, np.nan)
    return depth, relative


def forgiveness(on_cycle: np.ndarray, periods: int) -> np.ndarray:
    """Periods from the end of a forced deviation until the market is back on its cycle.

    Args:
        on_cycle: Whether the history after ``τ`` lies on the market's pre-deviation cycle,
            ``bool[M, T + 1]``.
        periods: ``L``: the deviation takes ``τ = 1 … L``.

    Returns:
        ``int64[M]``: ``τ_back − L`` for the first ``τ_back > L`` on the cycle (0: the
        deviation left no trace), −1 where the path has not returned within the horizon (it
        may have settled on another cycle).

    """
    later = on_cycle[:, periods:]
    back = later.argmax(axis=1)
    return np.where(later.any(axis=1), back, -1).astype(np.int64)
