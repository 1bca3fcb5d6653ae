"""Choosing by values among the legal moves only (board games, bargaining).

Where a model says which moves are legal (:class:`~socialrl.capabilities.ActionMasks`), a
value-based learner's ε-greedy rule is read over the legal moves: explore uniformly among
them, or take the best legal move — never an illegal one, whatever its (untrained) value.
"""

from __future__ import annotations

import numpy as np

from socialrl.games import sample_legal

__all__ = ["epsilon_greedy_among", "greedy_among"]


def epsilon_greedy_among(
    values: np.ndarray, legal: np.ndarray, epsilon: float, rng: np.random.Generator
) -> np.ndarray:
    """ε-greedy moves over ``values[n, A]`` restricted to ``legal[n, A]``; ``int64[n]``.

    With probability ε a uniformly random legal move, else a legal move of highest value
    (ties uniformly at random). Rows without a legal move get 0.
    """
    explore = rng.random(values.shape[0]) < epsilon
    random_moves = sample_legal(legal, rng)
    masked = np.where(legal, values, -np.inf)
    best = legal & (masked == masked.max(axis=1, keepdims=True))
    return np.where(explore, random_moves, sample_legal(best, rng))


def greedy_among(values: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """The legal move of highest value per row (ties → the lowest move); 0 without one."""
    masked = np.where(legal, values, -np.inf)
    return np.where(legal.any(axis=1), masked.argmax(axis=1), 0).astype(np.int64)
