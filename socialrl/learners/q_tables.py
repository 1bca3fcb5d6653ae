"""Q tables: how many states, which table each agent uses, initial values, batch checks.

What every tabular learner (:mod:`~socialrl.learners.q_learning`,
:mod:`~socialrl.learners.dyna_q`) needs around its ``Q[tables, S, A]`` array, written once:
the number of states of a discrete space, each agent's table (its own, or one shared by the
group), the table built from the ``init`` option, and the check that turns what a caller
hands over into the contiguous arrays the compiled kernels take — without a copy on the hot
path, with a one-line error naming the shape otherwise.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["as_batch", "as_rows", "discrete_states", "initial_q", "table_rows"]

#: The native dtypes the kernels take: NumPy hands out one object per builtin dtype, so an
#: identity test answers the hot path's question at a third of the cost of ``==``.
_NATIVE: dict[type, np.dtype[Any]] = {t: np.dtype(t) for t in (np.int64, np.float64, np.bool_)}


def discrete_states(learner: str, observation_space: gym.Space[Any]) -> int:
    """The number of states ``S`` of a ``Discrete(S)`` space: a tabular learner needs one."""
    if not isinstance(observation_space, gym.spaces.Discrete):
        raise TypeError(
            f"{learner} needs discrete observations (a Discrete(S) space of state indices); "
            f"got {observation_space}"
        )
    return int(observation_space.n)


def table_rows(n_agents: int, shared: bool) -> np.ndarray:
    """The table each agent reads and writes: all the same one when shared, else its own."""
    return np.zeros(n_agents, dtype=np.int64) if shared else np.arange(n_agents, dtype=np.int64)


def as_batch(values: np.ndarray, dtype: type, n: int, what: str) -> np.ndarray:
    """``values`` as a contiguous ``dtype[n]`` array (no copy when it already is one)."""
    if (
        type(values) is np.ndarray
        and values.dtype is _NATIVE.get(dtype)
        and values.shape == (n,)
        and values.flags.c_contiguous
    ):
        return values  # the hot path: arrays straight from the model and the learner
    arr: np.ndarray = np.ascontiguousarray(values, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(
            f"QLearning bound to {n} agents got {what} of shape {arr.shape}; expected ({n},)"
        )
    return arr


def as_rows(values: np.ndarray, dtype: type, shape: tuple[int, int], what: str) -> np.ndarray:
    """``values`` as a contiguous ``dtype[n, A]`` array, or a one-line error naming the shape."""
    arr: np.ndarray = np.ascontiguousarray(values, dtype=dtype)
    if arr.shape != shape:
        raise ValueError(f"QLearning got {what} of shape {arr.shape}; expected {shape}")
    return arr


def initial_q(
    init: float | str | np.ndarray, n_tables: int, n_states: int, n_actions: int
) -> np.ndarray:
    """Build ``Q[n_tables, S, A]`` from the ``init`` option, checking array shapes."""
    if isinstance(init, str):
        return np.zeros((n_tables, n_states, n_actions))
    arr = np.asarray(init, dtype=np.float64)
    if arr.ndim == 0:
        return np.full((n_tables, n_states, n_actions), float(arr))
    if arr.shape == (n_states, n_actions):
        return np.repeat(arr[None], n_tables, axis=0)
    if arr.shape == (n_tables, n_states, n_actions):
        return arr.copy()
    raise ValueError(
        f"init array must have shape ({n_states}, {n_actions}) or "
        f"({n_tables}, {n_states}, {n_actions}), got {arr.shape}"
    )
