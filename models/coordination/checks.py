"""Checks of the coordination model's plain parameters, and the players' first actions.

Each check is a pure function that raises one line naming the parameter and what is allowed;
the model runs them all before it builds its (possibly large) Mesa space.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from socialrl.contract import episode_limit

from .observations import OBSERVATIONS

__all__ = ["check_episodes", "check_play", "check_revision", "initial_actions", "share_levels"]


def check_play(aggregate: str, self_interaction: bool, interaction: str, observation: str) -> None:
    """How payoffs are summed, whether one plays oneself, and what learners observe."""
    _choose("aggregate", aggregate, ("mean", "sum"))
    _choose("observation", observation, OBSERVATIONS)
    if self_interaction and interaction != "neighbours":
        raise ValueError(
            f"self_interaction applies to interaction 'neighbours' only, not {interaction!r}"
        )


def check_revision(revision_rate: float, mutation: float) -> None:
    """The rule players' revision probability and mutation rate, both probabilities."""
    for name, value in (("revision_rate", revision_rate), ("mutation", mutation)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value!r}")


def check_episodes(share: float, window: int, max_episode_steps: int | None) -> None:
    """The convention criterion (share θ held for W steps) and the learners' episode length."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"convention_share must lie in (0, 1], got {share!r}")
    if int(window) != window or window < 1:
        raise ValueError(f"convention_window must be a positive integer, got {window!r}")
    episode_limit(max_episode_steps)


def share_levels(levels: int | None, regular_degree: int | None) -> int:
    """``L`` of the shares observation: given, else the common degree (exact counts), else 10."""
    if levels is None:
        return regular_degree if regular_degree is not None else 10
    if int(levels) != levels or levels < 1:
        raise ValueError(f"share_levels must be a positive integer, got {levels!r}")
    return int(levels)


def initial_actions(
    initial: str | int | Sequence[float], n: int, n_actions: int, rng: np.random.Generator
) -> np.ndarray:
    """The actions of "step 0", which rule players play first.

    ``"uniform"``; one action index for everybody; ``n`` integers (one action per player); or
    ``n_actions`` probabilities to draw each player's action from. (When ``n = n_actions``,
    integers are actions and floats probabilities.)
    """
    if isinstance(initial, str):
        if initial != "uniform":
            raise ValueError(
                "initial must be 'uniform', an action index, one action per player or "
                f"{n_actions} probabilities, got {initial!r}"
            )
        return rng.integers(n_actions, size=n)
    if isinstance(initial, int | np.integer):
        if not 0 <= initial < n_actions:
            raise ValueError(f"initial action must lie in [0, {n_actions}), got {initial}")
        return np.full(n, int(initial), dtype=np.int64)
    arr = np.asarray(initial)
    if arr.shape == (n,) and arr.dtype.kind in "iu":
        if ((arr < 0) | (arr >= n_actions)).any():
            raise ValueError(f"initial actions must lie in [0, {n_actions})")
        return arr.astype(np.int64)
    p = arr.astype(np.float64) if arr.dtype.kind in "iuf" else np.full(0, np.nan)
    if p.shape != (n_actions,) or (p < 0).any() or not np.isclose(p.sum(), 1.0):
        raise ValueError(
            f"initial must be 'uniform', an action index, {n} actions (one per player) or "
            f"{n_actions} probabilities summing to 1; got {arr.tolist()}"
        )
    return rng.choice(n_actions, size=n, p=p).astype(np.int64)


def _choose(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
