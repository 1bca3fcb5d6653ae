"""The self-play replay window: the latest positions with their search and outcome targets.

AlphaZero trains on positions from recent self-play games, each stored with the search's visit
distribution ``π`` and, once its game has ended, the outcome ``z`` (Silver et al. 2018 keep
the last 500,000 games' positions). The window is a ring of fixed capacity: the oldest
positions leave as new ones arrive, so the network learns from the play of its recent selves.
Batches are sampled uniformly with the learner's own generator.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["SelfPlayBatch", "SelfPlayWindow"]


class SelfPlayBatch(NamedTuple):
    """Training targets of ``n`` positions.

    ``features[n, F]``, ``legal[n, A]``, ``policy[n, A]`` (π), ``values[n, P]`` (z, ordered
    from the player to move).
    """

    features: np.ndarray
    legal: np.ndarray
    policy: np.ndarray
    values: np.ndarray


class SelfPlayWindow:
    """A ring buffer of the last ``capacity`` positions and their targets."""

    def __init__(self, capacity: int, n_features: int, n_actions: int, n_players: int) -> None:
        if capacity < 1:
            raise ValueError(f"window must be ≥ 1 position, got {capacity!r}")
        self.capacity = int(capacity)
        self.features = np.zeros((capacity, n_features), dtype=np.float32)
        self.legal = np.zeros((capacity, n_actions), dtype=bool)
        self.policy = np.zeros((capacity, n_actions), dtype=np.float32)
        self.values = np.zeros((capacity, n_players), dtype=np.float32)
        self.size = 0
        self.head = 0  # where the next position goes
        self.added = 0  # positions ever added

    def add(self, batch: SelfPlayBatch) -> None:
        """Store positions, overwriting the oldest once full."""
        n = batch.features.shape[0]
        if n == 0:
            return
        if n > self.capacity:  # only the newest fit
            batch = SelfPlayBatch(*(part[-self.capacity :] for part in batch))
            n = self.capacity
        slots = (self.head + np.arange(n)) % self.capacity
        self.features[slots] = batch.features
        self.legal[slots] = batch.legal
        self.policy[slots] = batch.policy
        self.values[slots] = batch.values
        self.head = int((self.head + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)
        self.added += n

    def sample(self, n: int, rng: np.random.Generator) -> SelfPlayBatch:
        """``n`` positions drawn uniformly (with replacement) from the window."""
        if self.size == 0:
            raise RuntimeError("the self-play window is empty")
        i = rng.integers(self.size, size=n)
        return SelfPlayBatch(self.features[i], self.legal[i], self.policy[i], self.values[i])

    def state_dict(self) -> dict[str, np.ndarray]:
        """The stored positions and the ring's position (for checkpoints)."""
        return {
            "window.features": self.features[: self.size].copy(),
            "window.legal": self.legal[: self.size].copy(),
            "window.policy": self.policy[: self.size].copy(),
            "window.values": self.values[: self.size].copy(),
            "window.ring": np.array([self.head, self.added], dtype=np.int64),
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (into a window of the same shapes)."""
        size = int(state["window.features"].shape[0])
        if size > self.capacity:
            raise ValueError(f"checkpoint holds {size} positions, the window {self.capacity}")
        self.size = size
        self.features[:size] = state["window.features"]
        self.legal[:size] = state["window.legal"]
        self.policy[:size] = state["window.policy"]
        self.values[:size] = state["window.values"]
        self.head, self.added = (int(v) for v in state["window.ring"])
