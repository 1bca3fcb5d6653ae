"""The scores that steer a tree search: UCT and AlphaZero's PUCT.

At every node the search descends along the edge with the highest score, a value estimate plus
an exploration bonus that shrinks as the edge is visited:

- **UCT** (Kocsis & Szepesvári 2006), the bandit rule UCB1 applied at every node::

      Q(s, a) + c √(ln N(s) / N(s, a))          (an untried edge first: +∞)

- **PUCT** (Silver et al. 2017; Rosin 2011), the bonus weighted by the network's prior, so the
  search looks first where the policy points::

      Q(s, a) + c P(s, a) √N(s) / (1 + N(s, a))

``N(s)`` is the node's visits, ``N(s, a)`` the edge's and ``Q(s, a) = W(s, a) / N(s, a)`` its
mean value for the player who moves at ``s``. Compiled, because the walk calls it for every
edge of every node on every path (:mod:`socialrl.learners.search_tree`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["PUCT", "UCT", "edge_score"]

#: Which score a walk uses (a constant of the compiled loop).
UCT, PUCT = 0, 1


@njit(cache=True, nogil=True, inline="always")
def edge_score(
    rule: int, q: float, prior: float, visits: float, parent_visits: float, c: float
) -> float:  # pragma: no cover - compiled
    """The UCT or PUCT score of one edge (see the module docstring)."""
    if rule == UCT:
        if visits == 0.0:
            return np.inf
        return q + c * np.sqrt(np.log(parent_visits) / visits)
    return q + c * prior * np.sqrt(parent_visits) / (1.0 + visits)
