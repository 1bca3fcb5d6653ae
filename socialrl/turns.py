"""Turn-taking: learning from one's own moves when players move in turn.

Where players move in turn — firms that reprice alternately (Klein 2021), a proposer and a
responder, two sides of a board — a player's move is followed by the others' before it moves
again. Seen from the player, one transition runs from one of its moves to the next: in state
``s`` it moves ``a``, collects the rewards ``r_t, r_{t+1}, …, r_{t+τ−1}`` of the ``τ`` periods
until its next move, and then decides again in state ``s'``. That is a semi-Markov decision
problem (Bradtke & Duff 1995; Sutton, Precup & Singh 1999), and Q-learning's update becomes::

    Q(s, a) ← Q(s, a) + α [Σ_{j<τ} γ^j r_{t+j} + γ^τ max_a' Q(s', a') − Q(s, a)]

For alternating duopolists (``τ = 2``) this is Klein's (2021) update, ``π_i(p_i, p_j) +
δ π_i(p_i, p_j') + δ² max_p Q(p_j', p)`` with ``p_j'`` the rival's reply.

A :class:`TurnLedger` keeps each agent's open transition — the state and move that opened it,
the discounted rewards so far, the periods it spans — and hands back the transitions that a
step closes: an agent's next move closes its last one, and the end of an episode closes every
open one (terminal: no bootstrap; a time limit: bootstrap from the final observation). The
:class:`~socialrl.population.Population` keeps one ledger per learner group of a
:class:`~socialrl.capabilities.TurnTaking` model and passes what closes to the learner's
``learn_over`` (:class:`~socialrl.capabilities.MultiPeriodLearning`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Spanning", "TurnLedger"]


class Spanning(NamedTuple):
    """Transitions that span one or more periods, for a batch of ``n`` agents.

    Only rows where ``ready`` holds are transitions; the others are placeholders.

    Attributes:
        obs: The state each transition started in (where the agent moved).
        actions: The move, ``int64[n]``.
        returns: ``Σ_{j<τ} γ^j r_{t+j}``, ``float64[n]``.
        next_obs: The state of the agent's next decision (or the episode's final one).
        periods: ``τ ≥ 1``, the periods spanned, ``int64[n]``: the target bootstraps with
            ``γ^τ``.
        terminated: The episode ended in a terminal state (no bootstrap).
        ready: Which rows hold a transition.

    """

    obs: np.ndarray
    actions: np.ndarray
    returns: np.ndarray
    next_obs: np.ndarray
    periods: np.ndarray
    terminated: np.ndarray
    ready: np.ndarray


class TurnLedger:
    """Each agent's open transition, from its last move up to the present period.

    Args:
        n: Agents in the batch.
        gamma: The learner's discount factor γ (the rewards between moves are discounted
            with it, so that the ledger and the learner value time alike).

    """

    def __init__(self, n: int, gamma: float) -> None:
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"a discount factor must lie in [0, 1], got {gamma}")
        self.gamma = float(gamma)
        self.obs: np.ndarray | None = None  # allocated on the first move (its dtype and shape)
        self.actions = np.zeros(n, dtype=np.int64)
        self.returns = np.zeros(n)
        self.periods = np.zeros(n, dtype=np.int64)
        self.open = np.zeros(n, dtype=bool)

    def record(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        moved: np.ndarray,
        reward: np.ndarray,
        ended: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> list[Spanning]:
        """Book one period; the transitions it closes (none, one or two batches).

        Args:
            obs: Every agent's observation at the start of the period.
            actions: Every agent's action (only the movers' count).
            moved: ``bool[n]``: who moved this period.
            reward: ``float64[n]``: the period's reward of every agent.
            ended: ``(terminated, truncated, final_obs)`` when an episode may have ended:
                every open transition of an agent whose episode ended closes.

        Returns:
            First the transitions the movers closed (state ``s'`` = where they moved now),
            then those the episodes' ends closed.

        """
        closed: list[Spanning] = []
        if self.obs is None:
            self.obs = np.zeros_like(obs)
        closing = moved & self.open
        if closing.any():
            closed.append(self._close(closing, obs, np.zeros_like(closing)))
        # The movers open a new transition with this period's reward ...
        self.obs[moved] = obs[moved]
        self.actions[moved] = actions[moved]
        self.returns[moved] = reward[moved]
        self.periods[moved] = 1
        # ... and everyone else's open one collects it, discounted by the periods so far.
        waiting = self.open & ~moved
        self.returns[waiting] += self.gamma ** self.periods[waiting] * reward[waiting]
        self.periods[waiting] += 1
        self.open |= moved
        if ended is not None:
            terminated, truncated, final_obs = ended
            finishing = self.open & (terminated | truncated)
            if finishing.any():
                closed.append(self._close(finishing, final_obs, terminated))
        return closed

    def _close(self, which: np.ndarray, next_obs: np.ndarray, terminated: np.ndarray) -> Spanning:
        """The open transitions of ``which``, ending in ``next_obs``; they are closed after."""
        assert self.obs is not None
        out = Spanning(
            obs=self.obs.copy(),
            actions=self.actions.copy(),
            returns=self.returns.copy(),
            next_obs=np.asarray(next_obs).copy(),
            periods=np.maximum(self.periods, 1),
            terminated=terminated & which,
            ready=which.copy(),
        )
        self.open &= ~which
        return out
