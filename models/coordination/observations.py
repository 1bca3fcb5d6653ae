"""What a learning player sees: nothing, its last game, or its neighbourhood's action shares.

Every mode is a ``Discrete`` space of state indices, so tabular learners use it directly:

* ``"none"``: ``Discrete(1)``, a stateless learner (Claus & Boutilier's independent learners);
* ``"memory1"``: ``Discrete(A² + 1)``, own and partner's last action ``own · A + partner``, plus
  the start state ``A²`` (no game played yet in this episode) — the observation of Sandholm &
  Crites' (1996) iterated prisoner's dilemma;
* ``"shares"``: ``Discrete((L + 1)^(A − 1) + 1)``, the shares of the neighbours' last actions
  rounded to ``L`` levels (all but the last action: the shares sum to one), plus the start
  state. On a regular structure with ``L`` = the degree the shares are the exact counts;
  in a well-mixed population the "neighbourhood" is everybody.

The encodings live here so that the model, the strategies that read observations
(:mod:`socialrl_models.coordination.strategies`) and the tests agree on them.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

__all__ = [
    "OBSERVATIONS",
    "decode_memory",
    "encode_memory",
    "encode_shares",
    "memory_start",
    "observation_space",
    "shares_start",
]

OBSERVATIONS = ("none", "memory1", "shares")


def memory_start(n_actions: int) -> int:
    """The memory-1 start state (no previous game)."""
    return n_actions * n_actions


def shares_start(n_actions: int, levels: int) -> int:
    """The shares start state (no previous step)."""
    return int((levels + 1) ** (n_actions - 1))


def observation_space(mode: str, n_actions: int, levels: int) -> gym.spaces.Discrete:
    """The ``Discrete`` space of an observation mode."""
    if mode == "none":
        return gym.spaces.Discrete(1)
    if mode == "memory1":
        return gym.spaces.Discrete(memory_start(n_actions) + 1)
    return gym.spaces.Discrete(shares_start(n_actions, levels) + 1)


def encode_memory(own: np.ndarray, partner: np.ndarray, n_actions: int) -> np.ndarray:
    """``own · A + partner``: the memory-1 state of each player."""
    return own * n_actions + partner


def decode_memory(obs: np.ndarray, n_actions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(own, partner, at_start)`` from memory-1 states (own and partner are 0 at the start)."""
    obs = np.asarray(obs, dtype=np.int64)
    at_start = obs == memory_start(n_actions)
    own, partner = np.divmod(np.where(at_start, 0, obs), n_actions)
    return own, partner, at_start


def encode_shares(counts: np.ndarray, levels: int) -> int:
    """One neighbourhood's state from its action counts (the reference of the compiled loop)."""
    counts = np.asarray(counts)
    digits = np.floor(levels * counts[:-1] / counts.sum() + 0.5).astype(np.int64)
    return int((digits * (levels + 1) ** np.arange(digits.size)).sum())
