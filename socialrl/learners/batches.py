"""Typed batches of experience: what learners store, sample and learn from.

One step of a group (what :meth:`~socialrl.learners.base.Learner.learn` receives), a minibatch
drawn from a replay buffer and an actor-critic rollout are the same thing: transitions
``(s, a, r, s', terminated, truncated, valid)``. They travel as one :class:`Transitions`, so
a function that needs them takes one argument with named fields instead of seven arrays in
an order to remember, and a field cannot be swapped for another by position.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Transitions"]


class Transitions(NamedTuple):
    """A batch of transitions ``(s, a, r, s', terminated, truncated, valid)``.

    Every field has the same leading shape: ``[n]`` for one step of a group (one entry per
    agent), ``[B]`` or ``[n, B]`` for a replay minibatch (pooled, or per agent), ``[T, n]`` for
    a rollout of ``T`` steps.

    Attributes:
        obs: What each agent saw, ``[..., *obs_shape]``.
        actions: What each did, ``int64[...]``.
        reward: What each got, ``[...]``.
        next_obs: Where each transition led, before any autoreset: at the end of an episode,
            its final observation (the one to bootstrap from after a truncation).
        terminated: The transition entered a terminal state: nothing follows, no bootstrap.
        truncated: The episode was cut by a time limit: it ends, but the state was not
            terminal, so its value is still bootstrapped.
        valid: The agent actually moved in this step; False marks a hole (an inactive agent,
            or padding) that no learner may learn from.

    """

    obs: np.ndarray
    actions: np.ndarray
    reward: np.ndarray
    next_obs: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    valid: np.ndarray
