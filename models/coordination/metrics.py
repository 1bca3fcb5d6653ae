"""What a coordination run is measured by: conventions, coordination, clustering, cooperation.

* **Action shares** — the fraction of players choosing each action this step.
* **Coordination rate** — the fraction of the step's games (ordered pairs of partners) in which
  both chose the same action.
* **Payoff relative to the payoff-dominant equilibrium** — the players' mean payoff per game
  divided by :func:`~socialrl_models.coordination.games.reference_payoff` (1 when everyone sits in
  the
  payoff-dominant convention; for the prisoner's dilemma, mutual cooperation scores R/P = 3).
* **Time to convention** — the first step ``t`` such that in each of the steps ``t, …,
  t + W − 1`` at least a share ``θ`` (0.95) of the players chose one and the same action
  (:class:`ConventionTracker`; the step at which it is recorded is ``t + W − 1``).
* **Spatial clustering of actions** — Newman's (2003) assortativity coefficient of the actions
  over the neighbour pairs, ``r = (e − Σ_a q_a²) / (1 − Σ_a q_a²)``, with ``e`` the fraction of
  pairs with equal actions and ``q_a`` the fraction of pair ends at players choosing ``a``:
  0 for actions placed at random, 1 for perfectly segregated ones, negative for checkerboards;
  undefined (NaN) when everyone chooses the same action.
* **Cooperation rate** — the share of the game's cooperative action (C, stag, dove).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ConventionTracker", "assortativity"]


@dataclass
class ConventionTracker:
    """Finds the time to convention online, one step at a time (O(actions) per step).

    Attributes:
        threshold: The share ``θ`` of players that must agree.
        window: The number ``W`` of consecutive steps they must agree for.
        action: The action of the current streak (−1: none).
        streak: Consecutive steps so far in which ``action`` had share ≥ θ.
        start: The first step of the current streak.
        reached_at: The time to convention once found (None before): the streak's first step.
        convention: The action of that convention.

    """

    threshold: float = 0.95
    window: int = 50
    action: int = -1
    streak: int = 0
    start: int = 0
    reached_at: int | None = None
    convention: int | None = None

    def update(self, step: int, counts: np.ndarray) -> None:
        """Account for step ``step`` whose players chose actions ``counts[a]`` times."""
        top = int(np.argmax(counts))
        if counts[top] >= self.threshold * counts.sum():
            if top == self.action and self.streak > 0:
                self.streak += 1
            else:
                self.action, self.streak, self.start = top, 1, step
            if self.reached_at is None and self.streak >= self.window:
                self.reached_at, self.convention = self.start, top
        else:
            self.streak = 0


def assortativity(same: int, ends: np.ndarray) -> float:
    """Newman's assortativity from the equal-action pair count and the pair ends per action."""
    pairs = ends.sum()
    if pairs == 0:
        return float("nan")
    q = ends / pairs
    expected = float((q * q).sum())
    if expected >= 1.0 - 1e-12:
        return float("nan")
    return float((same / pairs - expected) / (1.0 - expected))
