"""Counterfactual ("synchronous") Q-learning: every action updated from what it would bring.

The baseline Q-learner of Calvano et al. (2020) updates the cell it played. A firm that knows
its demand, though, can compute the profit of every price it did *not* charge — given the
rivals' prices of the period — and the state each would have led to. Asker, Fershtman &
Pakes (2022, 2024) let it update them all at once::

    Q(s, a) ← Q(s, a) + α [r(a, a₋ᵢ) + γ max_a' Q(s'(a), a') − Q(s, a)]    for every a

and find that such learners price near the competitive level, where the played-cell learners
sustain supra-competitive prices: with every price's payoff in view, the learner no longer
keeps optimistic values of prices it has stopped trying.

The targets of one agent are all computed from its table *before* its update (synchronous:
an update of ``Q(s, a)`` does not leak into the target of ``Q(s, a')`` when ``s'(a') = s``);
agents sharing a table are updated one after another in slot order, as in
:func:`~socialrl.learners.q_learning_kernels.q_update`. With one action the update is exactly
the played-cell update (a test checks it).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from socialrl.learners.q_learning_kernels import _first_argmax, _max, serial_and_parallel

__all__ = ["counterfactual_targets", "counterfactual_update"]


def counterfactual_targets(
    q: np.ndarray,
    tables: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    gamma: float,
) -> np.ndarray:
    """``r(a) + γ max_a' Q(s'(a), a')`` for every agent and action: ``float64[n, A]``.

    The reference form (NumPy) of what :func:`counterfactual_update` computes per agent.
    """
    next_max = q[tables[:, None], next_states].max(axis=-1)  # [n, A]
    return np.where(terminated[:, None], rewards, rewards + gamma * next_max)


@serial_and_parallel
def counterfactual_update(
    q: np.ndarray,
    tables: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    active: np.ndarray,
    alpha: float,
    gamma: float,
    targets: np.ndarray,
    td: np.ndarray,
    stable: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Every active agent's update of its whole visited row ``Q(s, ·)`` (see the module doc).

    ``rewards`` and ``next_states`` are ``[n, A]``; ``targets`` is ``[n, A]`` scratch. ``td``
    gets the TD error of the played cell (comparable with the played-cell learner's);
    ``stable[i]`` counts updates that left the greedy action of ``s`` unchanged (only row ``s``
    changes, so Calvano's convergence rule still reads one row).
    """
    n_actions = q.shape[2]
    for i in prange(states.shape[0]):
        if not active[i]:
            td[i] = np.nan
            continue
        k, s = tables[i], states[i]
        before = _first_argmax(q, k, s) if stable.shape[0] else 0
        for a in range(n_actions):
            target = rewards[i, a]
            if not terminated[i]:
                target += gamma * _max(q, k, next_states[i, a])
            targets[i, a] = target
        for a in range(n_actions):
            delta = targets[i, a] - q[k, s, a]
            if a == actions[i]:
                td[i] = delta
            q[k, s, a] += alpha * delta
        if stable.shape[0]:
            stable[i] = stable[i] + 1 if _first_argmax(q, k, s) == before else 0
