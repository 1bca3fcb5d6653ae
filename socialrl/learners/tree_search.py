"""Batched Monte Carlo tree search: select, expand, evaluate, back up — for many games at once.

One search grows ``B`` trees, one per game that has to move, by ``simulations`` cycles. A cycle
walks every tree to a leaf (compiled, :func:`~socialrl.learners.search_tree.select_leaves`),
expands all ``B`` leaf edges with one call of the rules, evaluates the ``B`` new positions with
one call of the evaluator, and backs the values up (compiled). What differs between plain
MCTS and AlphaZero is only the evaluator and the score:

- plain MCTS (Kocsis & Szepesvári 2006; Browne et al. 2012): uniform priors, the value of a
  random play-out (:func:`rollout_evaluator`), and the UCT score;
- AlphaZero (Silver et al. 2017, 2018): a policy-value network's priors and value, the PUCT
  score, and Dirichlet noise on the root's priors while training (:func:`dirichlet_noise`).

Values are per player (``float64[n, players]``), so the same search serves zero-sum boards and
general-sum bargaining.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from socialrl.games import GameRules, play_out
from socialrl.learners.search_tree import PUCT, UCT, SearchTrees, backup, select_leaves

__all__ = [
    "Evaluator",
    "best_visited",
    "check_positions",
    "dirichlet_noise",
    "most_visited_moves",
    "rollout_evaluator",
    "search",
    "visit_policy",
]

#: ``(positions, legal) → (priors float64[n, A], values float64[n, players])`` for
#: non-terminal positions; values per player (absolute seats, not relative to the mover).
Evaluator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

RULES = {"uct": UCT, "puct": PUCT}


def search(
    rules: GameRules,
    roots: np.ndarray,
    evaluate: Evaluator,
    simulations: int,
    score: str,
    c: float,
    root_noise: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> SearchTrees:
    """Search from each of ``roots`` (non-terminal positions) with ``simulations`` cycles.

    Args:
        rules: The game's rules (the simulator).
        roots: ``int64[B, d]`` positions to move from.
        evaluate: Priors and values of new non-terminal positions (:data:`Evaluator`).
        simulations: Cycles per tree (each adds at most one node).
        score: ``"uct"`` or ``"puct"``.
        c: The exploration constant of the score.
        root_noise: ``(priors[B, A], legal[B, A]) → priors``, applied once to the roots
            (AlphaZero's Dirichlet noise while training), or None.

    Returns:
        The trees; :meth:`SearchTrees.root_visits` is what the search recommends.

    """
    roots = np.asarray(roots, dtype=np.int64)
    n = roots.shape[0]
    trees = SearchTrees.empty(
        n, simulations + 1, roots.shape[1], rules.n_actions(), rules.n_players()
    )
    everyone = np.arange(n)
    _add_nodes(trees, rules, everyone, roots, evaluate)
    if root_noise is not None:
        trees.prior[:, 0, :] = root_noise(trees.prior[:, 0, :], trees.legal[:, 0, :])
    active = ~trees.terminal[:, 0] & trees.legal[:, 0, :].any(axis=1)
    depth_cap = simulations + 1
    path_nodes = np.zeros((n, depth_cap), dtype=np.int64)
    path_actions = np.zeros((n, depth_cap), dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    leaf = np.zeros(n, dtype=np.int64)
    values = np.zeros((n, rules.n_players()))
    code = RULES[score]
    for _ in range(simulations):
        select_leaves(
            trees.legal, trees.prior, trees.child, trees.visits, trees.total, trees.terminal,
            active, code, c, path_nodes, path_actions, depth, leaf,
        )  # fmt: skip
        grow = np.flatnonzero(active & (leaf < 0))
        done = np.flatnonzero(active & (leaf >= 0))
        values[done] = trees.value[done, leaf[done]]
        if grow.size:
            last = depth[grow] - 1
            parent = path_nodes[grow, last]
            move = path_actions[grow, last]
            positions = rules.play(trees.state[grow, parent], move)
            slot = trees.size[grow]
            trees.child[grow, parent, move] = slot
            values[grow] = _add_nodes(trees, rules, grow, positions, evaluate)
        backup(trees.mover, trees.visits, trees.total, path_nodes, path_actions, depth, values)
    return trees


def _add_nodes(
    trees: SearchTrees,
    rules: GameRules,
    rows: np.ndarray,
    positions: np.ndarray,
    evaluate: Evaluator,
) -> np.ndarray:
    """Store ``positions`` as the next node of trees ``rows``; their values per player.

    A terminal position is worth its payoffs; any other is evaluated (one call for all).
    """
    slot = trees.size[rows]
    trees.size[rows] += 1
    terminal = rules.terminal(positions)
    legal = rules.legal(positions)
    trees.state[rows, slot] = positions
    trees.mover[rows, slot] = rules.to_move(positions)
    trees.terminal[rows, slot] = terminal
    trees.legal[rows, slot] = legal
    values = np.zeros((rows.size, rules.n_players()))
    ended = np.flatnonzero(terminal)
    if ended.size:
        values[ended] = rules.payoffs(positions[ended])
        trees.value[rows[ended], slot[ended]] = values[ended]
    live = np.flatnonzero(~terminal)
    if live.size:
        priors, estimates = evaluate(positions[live], legal[live])
        trees.prior[rows[live], slot[live]] = priors
        values[live] = estimates
    return values


def visit_policy(visits: np.ndarray, temperature: float) -> np.ndarray:
    """π(a) ∝ N(root, a)^{1/τ}: the search's move distribution (AlphaZero's target).

    ``τ → 0`` puts all mass on the most visited moves (shared equally between ties).
    """
    visits = np.asarray(visits, dtype=np.float64)
    if temperature <= 1e-6:
        top = visits == visits.max(axis=1, keepdims=True)
        weights = top.astype(np.float64)
    else:
        scaled = visits / np.maximum(visits.max(axis=1, keepdims=True), 1.0)
        weights = scaled ** (1.0 / temperature)
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)


def dirichlet_noise(
    alpha: float, fraction: float, rng: np.random.Generator
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Root noise ``P ← (1 − ε) P + ε η``, ``η ~ Dir(α)`` over the legal moves.

    AlphaZero's exploration at the root during self-play (α = 0.3 for chess, larger for games
    with fewer moves); the noise is drawn from the learner's own generator.
    """

    def apply(priors: np.ndarray, legal: np.ndarray) -> np.ndarray:
        gamma = rng.gamma(alpha, size=priors.shape) * legal
        eta = gamma / np.maximum(gamma.sum(axis=1, keepdims=True), 1e-12)
        return (1.0 - fraction) * priors + fraction * eta

    return apply


def rollout_evaluator(rules: GameRules, rng: np.random.Generator, rollouts: int = 1) -> Evaluator:
    """Plain MCTS's evaluation: uniform priors, the mean payoff of random play-outs."""

    def evaluate(positions: np.ndarray, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        priors = legal / np.maximum(legal.sum(axis=1, keepdims=True), 1)
        many = np.repeat(positions, rollouts, axis=0)
        payoffs = play_out(rules, many, rng)
        values = payoffs.reshape(positions.shape[0], rollouts, -1).mean(axis=1)
        return priors, values

    return evaluate


def check_positions(
    obs: np.ndarray, legal: np.ndarray, n_agents: int, n_actions: int
) -> tuple[np.ndarray, np.ndarray]:
    """A planner's batch as arrays: one position row and one legal mask per agent.

    Raises:
        ValueError: in one line, where the shapes do not fit the group.

    """
    obs, legal = np.asarray(obs, dtype=np.int64), np.asarray(legal, dtype=bool)
    if obs.ndim != 2 or obs.shape[0] != n_agents:
        raise ValueError(
            f"observations must be positions [{n_agents}, d] (one per agent), got shape {obs.shape}"
        )
    if legal.shape != (n_agents, n_actions):
        raise ValueError(
            f"legal moves must have shape ({n_agents}, {n_actions}), got {legal.shape}"
        )
    return obs, legal


def most_visited_moves(
    rules: GameRules,
    obs: np.ndarray,
    legal: np.ndarray,
    evaluate: Evaluator,
    simulations: int,
    score: str,
    c: float,
    ties: np.random.Generator | None,
) -> np.ndarray:
    """Search from every position that has a legal move and play its most visited one.

    A planner's decision for its group, ``int64[n]``: rows without a legal move (agents that
    wait) get 0; ties between equally visited moves go at random (``ties``) or to the lowest.
    """
    actions = np.zeros(obs.shape[0], dtype=np.int64)
    movers = np.flatnonzero(legal.any(axis=1))
    if movers.size:
        trees = search(rules, obs[movers], evaluate, simulations, score, c)
        actions[movers] = best_visited(trees.root_visits(), legal[movers], ties)
    return actions


def best_visited(
    visits: np.ndarray, legal: np.ndarray, rng: np.random.Generator | None
) -> np.ndarray:
    """The most visited legal move per row; ties at random (``rng``) or to the lowest move."""
    masked = np.where(legal, visits, -1.0)
    top = masked == masked.max(axis=1, keepdims=True)
    if rng is None:
        return np.argmax(top, axis=1).astype(np.int64)
    noise = rng.random(top.shape)
    return np.argmax(np.where(top, noise, -1.0), axis=1).astype(np.int64)
