"""What rational bargainers do: the subgame-perfect equilibrium, by backward induction.

**Finite horizon, discrete pie** (Ståhl 1972). The last round's responder gets nothing by
rejecting, so it accepts any offer; the last proposer therefore keeps the whole pie. One round
earlier the responder accepts an offer exactly when it is worth at least what proposing next
round would bring it, and the proposer keeps the most such an offer allows — and so on back to
round 0. The equilibrium agrees at once: rational bargainers never waste a round.

:func:`solve` runs this induction over *every* position of the game (each round's proposal,
and each round's answer to each possible offer), with the rules themselves
(:class:`~.rules.AlternatingOffers`) generating the moves: each player picks the move whose
continuation is worth most to *it* (the game is not zero-sum; each maximises its own
component). It is the exact solver of bargaining, as minimax is for a board.

**Ties.** On a grid a responder is often exactly indifferent (δ·N a whole number). Default
rule ``ties="accept"``: a responder accepts when indifferent, the standard convention that
makes the equilibrium unique; the ultimatum proposer then keeps the whole pie, ``N``.
With ``ties="reject"`` an indifferent responder rejects; the ultimatum proposer then keeps
``N − 1`` (the smallest offer that strictly beats nothing). A proposer indifferent between an
offer that is accepted and one that is rejected makes the accepted one (the lowest action
among equally good ones). Values within :data:`TOLERANCE` count as equal, so that a δ
written as a decimal (0.7 is not exactly 7/10 in binary) ties where its decimal does.

**Two rounds, worked by hand** (``ties="accept"``): in round 1 player 1 keeps all ``N``, worth
``δ₁`` to it now; so in round 0 player 1 accepts ``x`` iff ``(N − x)/N ≥ δ₁``, and player 0
keeps ``N − ⌈δ₁ N⌉``.

**Infinite horizon, continuous pie** (Rubinstein 1982): the unique subgame-perfect equilibrium
gives the first proposer ``x* = (1 − δ₁)/(1 − δ₀δ₁)`` (:func:`rubinstein_share`). The finite
grid game's share approaches it: writing ``s_t`` for round ``t``'s proposer share,
``s_t = 1 − δ s_{t+1}`` in the continuous game (:func:`stahl_share`), so the horizon's effect
shrinks by a factor δ per round (at most ``δ_max^{T−1}``); on the grid each round rounds the
responder's demand up by less than ``1/N`` and these errors alternate in sign as they
propagate, adding less than ``1/(N (1 − δ₀δ₁))`` (:func:`grid_error_bound`; the tests check
both). A coarse grid can be far off: with ``N = 10`` and δ = 0.9 the proposer keeps 9 or 1 as
``T`` is odd or even, never Rubinstein's 5.26 — the discrete game's equilibria differ from the
continuous one's (van Damme, Selten & Winter 1990).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .rules import AGREED, OFFER, PHASE, PROPOSING, ROUND, STATUS, AlternatingOffers

__all__ = [
    "TIES",
    "TOLERANCE",
    "Path",
    "Solution",
    "exact_values",
    "grid_error_bound",
    "rubinstein_share",
    "solve",
    "spe_offer",
    "spe_path",
    "stahl_share",
]

#: How an indifferent responder answers.
TIES = ("accept", "reject")
#: Payoffs closer than this are equal (see the module docstring).
TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class Solution:
    """The subgame-perfect strategies and values at every position in play.

    Attributes:
        rules: The game solved.
        ties: How an indifferent responder answers (:data:`TIES`).
        values: ``float64[S, 2]``: both players' equilibrium payoffs from each position,
            indexed by :meth:`~.rules.AlternatingOffers.state_index` (the last row, the end,
            is unused: finished games have their own payoffs).
        policy: ``int64[S]``: the mover's equilibrium move at each position (0 at the end).

    """

    rules: AlternatingOffers
    ties: str
    values: np.ndarray
    policy: np.ndarray


@dataclass(frozen=True)
class Path:
    """The equilibrium's play from the start.

    Attributes:
        offers: What each round's proposer proposed to keep, up to the agreement.
        agreed: Whether the game ended in agreement.
        round: The round it ended in.
        keep: Units the last proposer keeps (its offer).
        payoffs: ``(player 0, player 1)``, discounted shares of the pie.

    """

    offers: tuple[int, ...]
    agreed: bool
    round: int
    keep: int
    payoffs: tuple[float, float]


def _check_ties(ties: str) -> str:
    if ties not in TIES:
        raise ValueError(f"ties must be one of {', '.join(map(repr, TIES))}, got {ties!r}")
    return ties


class _Moves(NamedTuple):
    """Every legal move of a batch of positions, row by row (rows in ascending order).

    Attributes:
        rows: The position each move is made in.
        moves: The move.
        worth: ``float64[m, 2]``: both players' values of the position it leads to.
        starts: Where each position's moves begin in the arrays above.

    """

    rows: np.ndarray
    moves: np.ndarray
    worth: np.ndarray
    starts: np.ndarray


def _legal_moves(rules: AlternatingOffers, states: np.ndarray, values: np.ndarray) -> _Moves:
    """The legal moves of ``states`` and what the positions they lead to are worth.

    Finished games are worth their payoffs; positions in play what ``values`` (the table
    solved so far, later rounds first) says. Only legal moves are listed: a proposal has
    ``N + 1`` of them, an answer 2 (a dense ``[b, A]`` table would waste ``N``-fold).
    """
    rows, moves = np.nonzero(rules.legal(states))
    children = rules.play(states[rows], moves)
    worth = np.where(
        rules.terminal(children)[:, None],
        rules.payoffs(children),
        values[rules.state_index(children)],
    )
    starts = np.searchsorted(rows, np.arange(states.shape[0]))
    return _Moves(rows, moves, worth, starts)


def _choose(legal: _Moves, mover: np.ndarray, prefer_last: bool) -> np.ndarray:
    """Each position's best legal move for its mover, as an index into ``legal``'s arrays.

    Args:
        legal: The positions' legal moves (:func:`_legal_moves`); each has at least one.
        mover: ``int64[b]``: whose component counts.
        prefer_last: Break ties towards the highest action (an indifferent responder
            rejects); else towards the lowest (it accepts, a proposer agrees).

    """
    own = legal.worth[np.arange(legal.rows.size), mover[legal.rows]]
    best = np.maximum.reduceat(own, legal.starts)
    good = own >= best[legal.rows] - TOLERANCE
    at = np.arange(own.size)
    if prefer_last:
        return np.maximum.reduceat(np.where(good, at, -1), legal.starts)
    return np.minimum.reduceat(np.where(good, at, own.size), legal.starts)


def _solve_rounds(rules: AlternatingOffers, ties: str) -> Solution:
    """Backward induction over every position, last round first (see :func:`solve`)."""
    S, N = rules.n_states(), rules.pie
    values = np.zeros((S, 2))
    policy = np.zeros(S, dtype=np.int64)
    for t in reversed(range(rules.horizon)):
        # Answers to every offer of round t (their children: the end, or round t + 1) ...
        answers = np.arange(t * (N + 2) + 1, (t + 1) * (N + 2))
        # ... then round t's proposal (its children: round t's answers).
        proposal = np.array([t * (N + 2)])
        for index, prefer_last in ((answers, ties == "reject"), (proposal, False)):
            states = rules.positions(index)
            legal = _legal_moves(rules, states, values)
            chosen = _choose(legal, rules.to_move(states), prefer_last)
            policy[index] = legal.moves[chosen]
            values[index] = legal.worth[chosen]
    for table in (values, policy):
        table.flags.writeable = False
    return Solution(rules, ties, values, policy)


@functools.lru_cache(maxsize=64)
def solve(rules: AlternatingOffers, ties: str = "accept") -> Solution:
    """The subgame-perfect equilibrium at every position in play (cached per game and rule).

    ``T (N + 2)`` positions, each solved once from its children, one vectorised batch per
    round: under a millisecond for the ultimatum game, a few ms for ``T = 100, N = 100``.
    """
    return _solve_rounds(rules, _check_ties(ties))


def exact_values(
    rules: AlternatingOffers, positions: np.ndarray, ties: str = "accept"
) -> np.ndarray:
    """Both players' subgame-perfect payoffs from each position, ``float64[n, 2]``.

    The exact solver of bargaining: finished games are worth their payoffs; positions in play
    what equilibrium play from there brings.
    """
    positions = np.asarray(positions, dtype=np.int64)
    table = solve(rules, ties).values
    return np.where(
        rules.terminal(positions)[:, None],
        rules.payoffs(positions),
        table[rules.state_index(positions)],
    )


def spe_offer(rules: AlternatingOffers, round: int = 0, ties: str = "accept") -> int:
    """Units the proposer of ``round`` proposes to keep in the subgame-perfect equilibrium."""
    if not 0 <= round < rules.horizon:
        raise ValueError(f"round must lie in [0, {rules.horizon}), got {round!r}")
    return int(solve(rules, ties).policy[round * (rules.pie + 2)])


def spe_path(rules: AlternatingOffers, ties: str = "accept") -> Path:
    """Equilibrium play from the start: the offers made, where it ends, the split."""
    solution = solve(rules, ties)
    state = rules.initial(1)
    offers: list[int] = []
    while not rules.terminal(state)[0]:
        move = solution.policy[rules.state_index(state)]
        if state[0, PHASE] == PROPOSING:
            offers.append(int(move[0]))
        state = rules.play(state, move)
    pay = rules.payoffs(state)[0]
    return Path(
        offers=tuple(offers),
        agreed=bool(state[0, STATUS] == AGREED),
        round=int(state[0, ROUND]),
        keep=int(state[0, OFFER]),
        payoffs=(float(pay[0]), float(pay[1])),
    )


def rubinstein_share(delta: float | tuple[float, float]) -> float:
    """The first proposer's share ``(1 − δ₁)/(1 − δ₀δ₁)`` of Rubinstein's (1982) game.

    Infinite horizon, a continuous pie. With δ₀ = δ₁ = 1 there is no impatience and no unique
    answer: refused.
    """
    d0, d1 = AlternatingOffers(delta=delta).deltas
    if d0 * d1 == 1.0:
        raise ValueError("delta: Rubinstein's share needs some impatience (δ₀δ₁ < 1), got 1")
    return (1.0 - d1) / (1.0 - d0 * d1)


def stahl_share(delta: float | tuple[float, float], horizon: int) -> float:
    """The first proposer's share with a continuous pie and ``horizon`` rounds (Ståhl 1972).

    ``s_{T−1} = 1`` (the last proposer keeps all), ``s_t = 1 − δ_r s_{t+1}`` with ``δ_r`` the
    discount of round ``t``'s responder; with a common δ, ``s_0 = (1 − (−δ)^T)/(1 + δ)``.
    """
    rules = AlternatingOffers(delta=delta, horizon=horizon)
    share = 1.0
    for t in reversed(range(rules.horizon - 1)):
        share = 1.0 - rules.deltas[1 - t % 2] * share
    return share


def grid_error_bound(rules: AlternatingOffers) -> float:
    """How far the grid game's first share ``x/N`` may lie from :func:`stahl_share`.

    ``1/(N (1 − δ₀δ₁))``: each round rounds the responder's demand up by less than ``1/N``,
    and the errors alternate in sign as they propagate back (module docstring). Add
    ``δ_max^{T−1}`` for the distance to :func:`rubinstein_share`.
    """
    d0, d1 = rules.deltas
    if d0 * d1 == 1.0:
        return 1.0  # no impatience: the rounding does not die out (a share is within [0, 1])
    return 1.0 / (rules.pie * (1.0 - d0 * d1))
