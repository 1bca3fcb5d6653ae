"""What a tournament needs of a player: a name, and seats it can fill for a batch of matches.

Classic strategies (:mod:`socialrl.tournament.strategies`) and learners
(:mod:`socialrl.tournament.learner_player`) are both players. When a tournament starts, each
player is asked once for the seats it occupies in all its matches (:meth:`Player.seats`), and
gets back one object that decides for all of them at every turn (:class:`Seats`). A strategy's
seats only read the history; a learner's seats also learn from every turn's payoffs.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from socialrl.tournament.history import History

__all__ = ["Player", "Seats"]


class Seats(Protocol):
    """One player's seats in a batch of matches: decides, then sees what came of it."""

    def act(self, history: History) -> np.ndarray:
        """Intended moves of every seat this turn, C = 0 / D = 1, shape ``[history.n]``."""
        ...

    def update(
        self,
        history: History,
        intended: np.ndarray,
        payoffs: np.ndarray,
        playing: np.ndarray,
        last: np.ndarray,
    ) -> None:
        """After the turn: the history now includes it.

        Args:
            history: The view after the turn (``history.own(1)`` is the realised move).
            intended: What :meth:`act` returned (noise may have flipped it).
            payoffs: Each seat's payoff this turn.
            playing: Seats whose match was still on (a match that has ended plays on in the
                batch, but its turns count for nothing).
            last: Seats for which this was the match's last turn.

        """
        ...


class Player(Protocol):
    """A participant of a tournament (a frozen dataclass fits: the two attributes are read only)."""

    @property
    def name(self) -> str:
        """How the tables call it (unique within a tournament)."""
        ...

    @property
    def stochastic(self) -> bool:
        """Whether its moves depend on random draws (noise aside)."""
        ...

    def seats(self, n: int, seed: np.random.SeedSequence) -> Seats:
        """Fresh seats for ``n`` matches, drawing from a generator built from ``seed``."""
        ...
