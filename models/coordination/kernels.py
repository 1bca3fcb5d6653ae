"""Compiled loops of the coordination model: play, observe, revise, measure.

Each step loops once over the players and their neighbours (CSR arrays from
:mod:`socialrl_models.coordination.topology`); in NumPy the same work takes a gather per neighbour
slot
and several temporaries, in a compiled loop a few nanoseconds per neighbour. Every function is
compiled once (``cache=True``) and used by the model whatever the structure, so there is no
special-cased copy of the simulation.

Randomness stays outside: callers draw from the model's generator and pass the numbers in.

Notation: ``table[side, own, other]`` is a player's payoff (:meth:`Game.own_payoffs`),
``actions[i]`` player ``i``'s action this step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "assortment",
    "best_response",
    "best_response_to_counts",
    "draw_neighbours",
    "imitate_best",
    "play_neighbourhood",
    "play_partners",
    "shares_observation",
]


@njit(cache=True, nogil=True)
def play_neighbourhood(
    actions: np.ndarray,
    side: np.ndarray,
    table: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    self_play: bool,
    mean: bool,
    payoff: np.ndarray,
    counts: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Every player plays its action against every neighbour (Nowak & May's interaction).

    ``payoff[i] = Σ_j table[side_i, a_i, a_j]`` over the neighbours ``j`` (plus ``i`` itself
    with ``self_play``), divided by their number when ``mean``. ``counts[a]`` receives how many
    players chose ``a``. Returns the number of (directed) neighbour pairs with equal actions.
    """
    n_actions = table.shape[2]
    flat = table.ravel()  # one flat lookup per game: cheaper than a row view per player
    counts[:] = 0
    same = 0
    for i in range(actions.shape[0]):
        a = actions[i]
        row = (side[i] * n_actions + a) * n_actions
        total = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            b = actions[indices[k]]
            total += flat[row + b]
            same += a == b
        games = indptr[i + 1] - indptr[i]
        if self_play:
            total += flat[row + a]
            games += 1
        payoff[i] = total / games if mean else total
        counts[a] += 1
    return same


@njit(cache=True, nogil=True)
def play_partners(
    actions: np.ndarray,
    side: np.ndarray,
    table: np.ndarray,
    partner: np.ndarray,
    payoff: np.ndarray,
    counts: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Every player plays one game, against ``partner[i]``: ``payoff[i] = table[s, a_i, a_p]``.

    Returns the number of players whose partner chose the same action.
    """
    n_actions = table.shape[2]
    flat = table.ravel()
    counts[:] = 0
    same = 0
    for i in range(actions.shape[0]):
        a, b = actions[i], actions[partner[i]]
        payoff[i] = flat[(side[i] * n_actions + a) * n_actions + b]
        same += a == b
        counts[a] += 1
    return same


@njit(cache=True, nogil=True)
def draw_neighbours(
    indptr: np.ndarray, indices: np.ndarray, u: np.ndarray, partner: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``partner[i]``: the ``⌊u_i · degree_i⌋``-th neighbour of ``i`` (uniform given ``u_i``)."""
    for i in range(partner.shape[0]):
        start, degree = indptr[i], indptr[i + 1] - indptr[i]
        partner[i] = indices[start + min(int(u[i] * degree), degree - 1)]


@njit(cache=True, nogil=True)
def shares_observation(
    actions: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n_actions: int,
    levels: int,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Each player's neighbourhood action shares as one state index.

    The share of each action but the last, rounded to ``levels`` steps, is one digit in base
    ``levels + 1``: ``Σ_a round(levels · n_a / degree) · (levels + 1)^a`` for ``a < A − 1``
    (see :func:`socialrl_models.coordination.observations.encode_shares`).
    """
    tally = np.zeros(n_actions, dtype=np.int64)
    for i in range(out.shape[0]):
        tally[:] = 0
        for k in range(indptr[i], indptr[i + 1]):
            tally[actions[indices[k]]] += 1
        degree = indptr[i + 1] - indptr[i]
        state = 0
        place = 1
        for a in range(n_actions - 1):
            state += int(levels * tally[a] / degree + 0.5) * place
            place *= levels + 1
        out[i] = state


@njit(cache=True, nogil=True)
def imitate_best(
    actions: np.ndarray,
    payoff: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    who: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Imitate the best (Nowak & May 1992): adopt the action of the top earner around you.

    For each player ``i`` in ``who``: ``out[i]`` is the action of the highest ``payoff`` among
    ``i`` and its neighbours. Ties keep ``i``'s own action, then favour the earlier neighbour
    (Mesa's connection order), so the rule is deterministic.
    """
    for i in who:
        best = i
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if payoff[j] > payoff[best]:
                best = j
        out[i] = actions[best]


@njit(cache=True, nogil=True)
def best_response(
    actions: np.ndarray,
    side: np.ndarray,
    table: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    who: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Myopic best response to the neighbours' last actions (Kandori, Mailath & Rob 1993).

    ``out[i] = argmax_b Σ_j table[side_i, b, a_j]`` over ``i``'s neighbours; ``i`` keeps its
    own action when it is among the best (no change without a reason), else the lowest index.
    """
    n_actions = table.shape[1]
    value = np.zeros(n_actions)
    for i in who:
        value[:] = 0.0
        own = table[side[i]]
        for k in range(indptr[i], indptr[i + 1]):
            b = actions[indices[k]]
            for c in range(n_actions):
                value[c] += own[c, b]
        out[i] = _best_keep(value, actions[i])


@njit(cache=True, nogil=True)
def best_response_to_counts(
    actions: np.ndarray,
    side: np.ndarray,
    table: np.ndarray,
    counts: np.ndarray,
    who: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Best response to everybody else's actions (the well-mixed population's state).

    ``counts[a]`` players chose ``a``, the revising player among them.
    """
    n_actions = table.shape[1]
    value = np.zeros(n_actions)
    for i in who:
        own = table[side[i]]
        for c in range(n_actions):
            total = 0.0
            for b in range(n_actions):
                total += own[c, b] * (counts[b] - (b == actions[i]))
            value[c] = total
        out[i] = _best_keep(value, actions[i])


@njit(cache=True, nogil=True, inline="always")
def _best_keep(value: np.ndarray, current: int) -> int:  # pragma: no cover - compiled
    """Argmax of ``value``; ``current`` when it ties for the best, else the lowest index."""
    best = 0
    for c in range(1, value.shape[0]):
        if value[c] > value[best]:
            best = c
    return current if value[current] >= value[best] else best


@njit(cache=True, nogil=True)
def assortment(
    actions: np.ndarray, indptr: np.ndarray, indices: np.ndarray, ends: np.ndarray
) -> int:  # pragma: no cover - compiled
    """Ingredients of Newman's (2003) assortativity of actions over the (directed) edges.

    Returns the number of edges whose two ends chose the same action; ``ends[a]`` receives the
    number of edges that start at a player choosing ``a``.
    """
    ends[:] = 0
    same = 0
    for i in range(actions.shape[0]):
        a = actions[i]
        ends[a] += indptr[i + 1] - indptr[i]
        for k in range(indptr[i], indptr[i + 1]):
            same += actions[indices[k]] == a
    return same
