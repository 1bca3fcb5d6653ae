"""A learner as a tournament player: it sees the last k turns and learns during every match.

Any :class:`~socialrl.learners.base.Learner` with discrete observations can play (tabular
Q-learning, Dyna-Q, or a network learner). Its observation is a *memory-k* state: the last
``k`` moves of both players, each C, D or "no move yet", coded as one integer in ``[0, 9^k)``::

    state = Σ_{b=1..k} 9^(k−b) · (3 · (own_b + 1) + (opponent_b + 1))     (C = 0, D = 1, none = −1)

so memory 1 has 9 states, of which 5 occur (the start and the four outcomes CC, CD, DC, DD).

Like every player in the ``axelrod`` library, a learner starts each match afresh: each seat it
fills is one agent of the bound learner, with its own table, learning from that match's turns
only (a population of independent learners, one per match, all updated in one call per turn).
The learner draws from its own generator, seeded from the tournament's seed. After the
tournament the learner object holds what its agents learned (``q_values()`` for tabular ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

from socialrl.capabilities import CounterfactualLearning
from socialrl.learners.base import Learner
from socialrl.tournament.history import History

__all__ = ["MAX_MEMORY", "LearnerPlayer", "memory_state"]

#: Longest memory a learner may have: 9⁴ = 6,561 states.
MAX_MEMORY = 4


def memory_state(history: History, memory: int) -> np.ndarray:
    """The memory-``k`` state of each seat (see the module docstring), ``int64[n]``."""
    state = np.zeros(history.n, dtype=np.int64)
    for back in range(1, memory + 1):
        own = history.own(back).astype(np.int64) + 1
        other = history.opponent(back).astype(np.int64) + 1
        state = 9 * state + 3 * own + other
    return state


@dataclass(frozen=True, eq=False)
class LearnerPlayer:
    """A learner that plays the iterated game through a memory-``k`` observation.

    Attributes:
        name: How the tables call it.
        learner: The learner (bound afresh, and so reset, when a tournament starts).
        memory: How many past turns it observes (1 … :data:`MAX_MEMORY`).

    """

    name: str
    learner: Learner
    memory: int = 1
    stochastic: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.memory, bool) or not isinstance(self.memory, int):
            raise ValueError(f"memory must be a whole number of turns, got {self.memory!r}")
        if not 1 <= self.memory <= MAX_MEMORY:
            raise ValueError(f"memory must lie in [1, {MAX_MEMORY}] turns, got {self.memory}")
        if (
            isinstance(self.learner, CounterfactualLearning)
            and self.learner.wants_counterfactuals()
        ):
            raise ValueError(
                f"learner of player {self.name!r} learns from counterfactual outcomes, which a "
                "tournament does not compute; use update='played'"
            )

    @property
    def n_states(self) -> int:
        """Size of the observation space, ``9^memory``."""
        return int(9**self.memory)

    def seats(self, n: int, seed: np.random.SeedSequence) -> _LearnerSeats:
        """Bind the learner to ``n`` agents, one per seat (resetting what it had learned)."""
        self.learner.bind(n, gym.spaces.Discrete(self.n_states), gym.spaces.Discrete(2), seed)
        return _LearnerSeats(self.learner, self.memory, n)


class _LearnerSeats:
    """A learner's seats: observe → act; after the turn, learn from the payoffs."""

    def __init__(self, learner: Learner, memory: int, n: int) -> None:
        self._learner = learner
        self._memory = memory
        self._obs = np.zeros(n, dtype=np.int64)
        self._never_terminal = np.zeros(n, dtype=np.bool_)

    def act(self, history: History) -> np.ndarray:
        self._obs = memory_state(history, self._memory)
        return self._learner.act(self._obs)

    def update(
        self,
        history: History,
        intended: np.ndarray,
        payoffs: np.ndarray,
        playing: np.ndarray,
        last: np.ndarray,
    ) -> None:
        """One learning step per seat still playing; a match's end truncates (bootstrap).

        The learner learns from the move it intended: noise is part of its environment.
        """
        self._learner.learn(
            self._obs,
            intended.astype(np.int64),
            payoffs,
            memory_state(history, self._memory),
            self._never_terminal,
            truncated=last,
            mask=playing,
        )
