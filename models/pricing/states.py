"""What a firm remembers: its market's last ``k`` price vectors, seen from its own seat.

Calvano et al. (2020) give each firm the last ``k`` price vectors as its state. Here every
firm sees its *own* price first, then its rivals' in seat order after it, most recent period
first, so symmetric firms in symmetric situations are in the same state and can share a Q
table. A history is ``int64[M, k, n]`` (markets, lag, firm) of grid indices.
"""

from __future__ import annotations

import numpy as np

__all__ = ["advance", "encode", "price_features", "state_weights"]


def state_weights(n: int, m: int, k: int) -> np.ndarray:
    """``w[viewer, lag, firm]``: the viewer sees itself first, then the firms after it.

    The digit of firm ``j`` at ``lag`` in viewer ``i``'s base-``m`` state number is
    ``lag · n + ((j − i) mod n)``.
    """
    w = np.empty((n, k, n), dtype=np.int64)
    for i in range(n):
        for lag in range(k):
            for j in range(n):
                w[i, lag, j] = m ** (lag * n + (j - i) % n)
    return w


def encode(history: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """State index of every viewer: ``[M, n]`` from histories ``[M, k, n]``."""
    M, k, n = history.shape
    return history.reshape(M, k * n) @ weights.reshape(n, k * n).T


def price_features(history: np.ndarray, n_prices: int) -> np.ndarray:
    """``float32[M·n, k·n]``: each viewer's history, own seat first, as grid positions in [0, 1]."""
    _, k, n = history.shape
    seats = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n  # [viewer, position]
    own_first = history[:, :, seats]  # [M, k, viewer, position]
    features = own_first.transpose(0, 2, 1, 3).reshape(-1, k * n)
    return (features / (n_prices - 1)).astype(np.float32)


def advance(history: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """The history after ``actions`` ``[M, n]`` were played (a new array)."""
    return np.concatenate([actions[:, None, :], history[:, :-1]], axis=1)
