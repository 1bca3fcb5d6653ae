"""Many search trees at once: the arrays of a batch of game trees and their compiled walks.

Monte Carlo tree search repeats one cycle per simulation — *select* a path from the root by a
score (UCT, PUCT), *expand* the edge it ends on, *evaluate* the new position, *back up* the
value along the path. Played one game at a time, each cycle is a few Python calls, and
evaluation (a network call, a rollout) is paid per position. The lab searches ``B`` games
together (every game of a model that has to move now): the trees live in arrays with a leading
batch axis, selection and backup are compiled loops over the batch (:func:`select_leaves`,
:func:`backup`), and expansion and evaluation are one vectorised call for all ``B`` leaves —
one rules call, one network call.

Node ``0`` of each tree is its root. Statistics are kept per edge ``(node, action)``:
visits ``N`` and total value ``W`` *for the player who moves at the node*, so each player
maximises its own payoff (max-n; negamax where the game is zero-sum). Nodes store their
position, so walking the tree never calls the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from socialrl.learners.puct import PUCT, UCT, edge_score

__all__ = ["PUCT", "UCT", "SearchTrees", "backup", "select_leaves"]


@dataclass
class SearchTrees:
    """The arrays of ``B`` trees of at most ``nodes`` nodes each, over ``A`` moves.

    Attributes:
        state: ``int64[B, nodes, d]`` the position at each node.
        mover: ``int64[B, nodes]`` the player to move there.
        terminal: ``bool[B, nodes]`` whether the game is over there.
        value: ``float64[B, nodes, P]`` the payoffs at a terminal node (per player).
        legal: ``bool[B, nodes, A]``.
        prior: ``float64[B, nodes, A]`` the prior ``P(s, a)`` (uniform for plain MCTS).
        child: ``int64[B, nodes, A]`` the node an edge leads to, −1 while unexpanded.
        visits: ``float64[B, nodes, A]`` ``N(s, a)``.
        total: ``float64[B, nodes, A]`` ``W(s, a)``, for the player who moves at ``s``.
        size: ``int64[B]`` nodes used per tree.

    """

    state: np.ndarray
    mover: np.ndarray
    terminal: np.ndarray
    value: np.ndarray
    legal: np.ndarray
    prior: np.ndarray
    child: np.ndarray
    visits: np.ndarray
    total: np.ndarray
    size: np.ndarray

    @classmethod
    def empty(cls, trees: int, nodes: int, width: int, actions: int, players: int) -> SearchTrees:
        """Trees with room for ``nodes`` nodes each (one per simulation, plus the root)."""
        shape = (trees, nodes, actions)
        return cls(
            state=np.zeros((trees, nodes, width), dtype=np.int64),
            mover=np.zeros((trees, nodes), dtype=np.int64),
            terminal=np.zeros((trees, nodes), dtype=bool),
            value=np.zeros((trees, nodes, players)),
            legal=np.zeros(shape, dtype=bool),
            prior=np.zeros(shape),
            child=np.full(shape, -1, dtype=np.int64),
            visits=np.zeros(shape),
            total=np.zeros(shape),
            size=np.zeros(trees, dtype=np.int64),
        )

    def root_visits(self) -> np.ndarray:
        """``N(root, a)``, ``float64[B, A]``: what the search recommends."""
        return self.visits[:, 0, :]


@njit(cache=True, nogil=True)
def _choose(
    trees_legal: np.ndarray,
    prior: np.ndarray,
    visits: np.ndarray,
    total: np.ndarray,
    b: int,
    node: int,
    rule: int,
    c: float,
) -> int:
    """The edge of ``node`` with the highest score (ties: the lowest move).

    Unvisited edges are valued at the node's mean value (first-play urgency = the parent's).
    """
    n_node = 0.0
    w_node = 0.0
    for a in range(visits.shape[2]):
        n_node += visits[b, node, a]
        w_node += total[b, node, a]
    fpu = w_node / n_node if n_node > 0.0 else 0.0
    parent = max(n_node, 1.0)
    best, best_score = -1, -np.inf
    for a in range(visits.shape[2]):
        if not trees_legal[b, node, a]:
            continue
        n = visits[b, node, a]
        q = total[b, node, a] / n if n > 0.0 else fpu
        score = edge_score(rule, q, prior[b, node, a], n, parent, c)
        if score > best_score:
            best, best_score = a, score
    return best


@njit(cache=True, nogil=True)
def select_leaves(
    legal: np.ndarray,
    prior: np.ndarray,
    child: np.ndarray,
    visits: np.ndarray,
    total: np.ndarray,
    terminal: np.ndarray,
    active: np.ndarray,
    rule: int,
    c: float,
    path_nodes: np.ndarray,
    path_actions: np.ndarray,
    depth: np.ndarray,
    leaf: np.ndarray,
) -> None:
    """Walk each active tree from its root by the score to an unexpanded or terminal edge.

    Writes, per tree ``b``: the path (``path_nodes[b, :depth[b]]``, ``path_actions``), and
    ``leaf[b]``: the terminal node the walk reached, or −1 where the last edge of the path
    is unexpanded (the caller expands it).
    """
    for b in range(legal.shape[0]):
        depth[b] = 0
        leaf[b] = -1
        if not active[b]:
            continue
        node = 0
        while True:
            a = _choose(legal, prior, visits, total, b, node, rule, c)
            path_nodes[b, depth[b]] = node
            path_actions[b, depth[b]] = a
            depth[b] += 1
            nxt = child[b, node, a]
            if nxt < 0:
                break
            if terminal[b, nxt]:
                leaf[b] = nxt
                break
            node = nxt


@njit(cache=True, nogil=True)
def backup(
    mover: np.ndarray,
    visits: np.ndarray,
    total: np.ndarray,
    path_nodes: np.ndarray,
    path_actions: np.ndarray,
    depth: np.ndarray,
    values: np.ndarray,
) -> None:
    """Add one visit and the leaf's value to every edge of each path.

    ``values[b, p]`` is player ``p``'s value of the leaf; an edge ``(s, a)`` collects the
    value of the player who moves at ``s``.
    """
    for b in range(depth.shape[0]):
        for k in range(depth[b]):
            node = path_nodes[b, k]
            a = path_actions[b, k]
            visits[b, node, a] += 1.0
            total[b, node, a] += values[b, mover[b, node]]
