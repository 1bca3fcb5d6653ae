"""Returns and advantages: the targets of policy-gradient learners, as pure numpy functions.

Every function works on a batch of agents at once: arrays are ``[T, n]`` (time first, one
column per agent) and the only Python loop runs backwards over time, exactly as the equations
are written. The conventions follow Gymnasium's split of an episode's end:

- ``terminated``: the transition entered a terminal state; nothing follows, so nothing is
  bootstrapped (``V(s_{t+1}) := 0``).
- an *episode end* (terminated **or** truncated by a time limit): the recursion stops, because
  the next row of the batch belongs to the agent's next episode. A truncated state was not
  terminal, so its value is still bootstrapped from the final observation.

References:
    Sutton & Barto (2018), *Reinforcement Learning: An Introduction*, §3.3 (returns) and
    §12.1 (λ-returns); Schulman et al. (2016), *High-Dimensional Continuous Control Using
    Generalized Advantage Estimation* (GAE).

"""

from __future__ import annotations

import numpy as np

__all__ = ["discounted_returns", "gae"]


def discounted_returns(
    rewards: np.ndarray,
    dones: np.ndarray,
    gamma: float,
    bootstrap: np.ndarray | float = 0.0,
    end_values: np.ndarray | None = None,
) -> np.ndarray:
    """Discounted returns ``G_t = r_t + γ G_{t+1} (1 − done_t)``, computed backwards.

    With ``end_values`` the return of an episode that ends at ``t`` continues with the value
    of where it was cut instead of zero: ``G_t = r_t + γ [(1 − done_t) G_{t+1} + done_t v_t]``
    (``v_t`` is 0 at a termination and the estimated value of the final state at a
    truncation).

    Args:
        rewards: ``r_t``, ``[T, n]``.
        dones: The episode ends at step ``t`` (its return does not continue into row
            ``t + 1``, which belongs to the next episode), ``[T, n]``.
        gamma: Discount factor γ ∈ [0, 1].
        bootstrap: ``G_T``, the value of what follows the last row, ``[n]`` (or a scalar);
            0 for episodes that all end inside the batch.
        end_values: ``v_t``, the value after an episode that ends at ``t`` (read only where
            ``done_t``), ``[T, n]``; None: 0.

    Returns:
        ``float64[T, n]``: the return from every step to the end of its episode (or to the
        bootstrap after the last row).

    """
    rewards = np.asarray(rewards, dtype=np.float64)
    done = np.asarray(dones, dtype=bool)
    keep = 1.0 - done
    if end_values is not None:  # fold the cut-off tail into the last reward: r_t + γ v_t
        rewards = rewards + gamma * np.where(done, end_values, 0.0)
    returns = np.empty_like(rewards)
    following = np.broadcast_to(np.asarray(bootstrap, dtype=np.float64), rewards.shape[1:])
    for t in range(rewards.shape[0] - 1, -1, -1):
        following = rewards[t] + gamma * following * keep[t]
        returns[t] = following
    return returns


def gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    terminated: np.ndarray,
    episode_end: np.ndarray,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalized advantage estimation (Schulman et al. 2016) over a rollout ``[T, n]``.

    The TD error and the advantage recursion::

        δ_t = r_t + γ V(s_{t+1}) (1 − terminated_t) − V(s_t)
        A_t = δ_t + γ λ (1 − end_t) A_{t+1},    A_T := 0

    ``V(s_{t+1})`` is the value of the observation the transition led to — at a truncation,
    the *final* observation of the episode (not the next episode's first), so time limits are
    bootstrapped while the recursion still stops at the episode's end. Special cases: λ = 1
    gives Monte-Carlo advantages that bootstrap only after the rollout's last row (with a
    rollout of ``n`` steps: the n-step returns of A2C, Mnih et al. 2016); λ = 0 gives the
    one-step TD error, TD(0).

    Args:
        rewards: ``r_t``, ``[T, n]``.
        values: ``V(s_t)``, ``[T, n]``.
        next_values: ``V(s_{t+1})`` of the observation each transition led to, ``[T, n]``.
        terminated: ``s_{t+1}`` is terminal (no bootstrap), ``[T, n]``.
        episode_end: The episode ended at step ``t`` (terminated or truncated), ``[T, n]``. A
            terminated step counts as an end even where this flag is False.
        gamma: Discount factor γ ∈ [0, 1].
        lam: The GAE λ ∈ [0, 1].

    Returns:
        ``(advantages, returns)``, both ``float64[T, n]``; ``returns = advantages + values``
        are the critic's regression targets (the λ-returns).

    """
    rewards = np.asarray(rewards, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    terminated = np.asarray(terminated, dtype=bool)
    keep_value = 1.0 - terminated
    keep_trace = 1.0 - (terminated | np.asarray(episode_end, dtype=bool))
    deltas = rewards + gamma * np.asarray(next_values, dtype=np.float64) * keep_value - values
    advantages = np.empty_like(deltas)
    following = np.zeros(deltas.shape[1:])
    for t in range(deltas.shape[0] - 1, -1, -1):
        following = deltas[t] + gamma * lam * keep_trace[t] * following
        advantages[t] = following
    return advantages, advantages + values
