"""Classic strategies of the iterated prisoner's dilemma, each a short function of the histories.

A strategy decides for all its seats at once: it reads a :class:`~socialrl.tournament.history.
History` (its own and its opponents' past moves over every match it plays) and returns one move
per seat, C = 0 or D = 1. Tit-for-tat, for instance, is "defect where the opponent defected last
turn"::

    def tit_for_tat(history, rng):
        return history.opponent(1) == D

Before the first turn ``history.opponent(1)`` is ``NONE`` (−1), so the first move is C without a
special case. Each function follows the ``axelrod`` library's definition of the strategy of the
same name (its class name is the name here), so that a tournament of deterministic strategies
gives exactly the library's scores (``tests/test_tournament.py`` checks it).

Stochastic strategies draw from the generator they are handed, one per player and tournament,
spawned from the tournament's seed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from socialrl.tournament.game import C, D
from socialrl.tournament.history import History

__all__ = [
    "STRATEGIES",
    "Decide",
    "Strategy",
    "alternator",
    "cooperator",
    "defector",
    "generous_tit_for_tat",
    "go_by_majority",
    "grudger",
    "make_strategy",
    "memory_one",
    "random_moves",
    "suspicious_tit_for_tat",
    "tit_for_tat",
    "tit_for_two_tats",
    "two_tits_for_tat",
    "win_stay_lose_shift",
]

#: A strategy's rule: the history of its seats and its generator → one move per seat.
Decide = Callable[[History, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    """A player that follows a fixed rule (:data:`Decide`), learning nothing.

    Attributes:
        name: How the tables call it.
        decide: The rule.
        stochastic: Whether the rule draws random numbers.

    """

    name: str
    decide: Decide
    stochastic: bool = False

    def seats(self, n: int, seed: np.random.SeedSequence) -> _RuleSeats:
        """Seats for ``n`` matches (the rule keeps no state beyond its generator)."""
        return _RuleSeats(self.decide, np.random.default_rng(seed))


class _RuleSeats:
    """A strategy's seats: the rule and its generator."""

    def __init__(self, decide: Decide, rng: np.random.Generator) -> None:
        self._decide = decide
        self._rng = rng

    def act(self, history: History) -> np.ndarray:
        return self._decide(history, self._rng)

    def update(self, *args: Any) -> None:
        """A rule learns nothing: the history is all it reads."""


# ----------------------------------------------------------------------- deterministic rules
def cooperator(history: History, rng: np.random.Generator) -> np.ndarray:
    """Always C."""
    return np.zeros(history.n, dtype=np.int8)


def defector(history: History, rng: np.random.Generator) -> np.ndarray:
    """Always D."""
    return np.ones(history.n, dtype=np.int8)


def tit_for_tat(history: History, rng: np.random.Generator) -> np.ndarray:
    """C first, then the opponent's last move (Rapoport; first in Axelrod's tournament)."""
    return history.opponent(1) == D


def suspicious_tit_for_tat(history: History, rng: np.random.Generator) -> np.ndarray:
    """D first, then the opponent's last move."""
    return history.opponent(1) != C


def tit_for_two_tats(history: History, rng: np.random.Generator) -> np.ndarray:
    """D only after two defections of the opponent in a row."""
    return (history.opponent(1) == D) & (history.opponent(2) == D)


def two_tits_for_tat(history: History, rng: np.random.Generator) -> np.ndarray:
    """D if the opponent defected in either of the last two turns."""
    return (history.opponent(1) == D) | (history.opponent(2) == D)


def grudger(history: History, rng: np.random.Generator) -> np.ndarray:
    """C until the opponent defects once, D for ever after (grim trigger)."""
    return history.opponent_defections > 0


def win_stay_lose_shift(history: History, rng: np.random.Generator) -> np.ndarray:
    """Pavlov: C after (C, C) or (D, D), D after (C, D) or (D, C); C first.

    Repeating the move after a win (R or T) and switching after a loss (S or P) is the same as
    cooperating exactly when both played alike.
    """
    return history.own(1) != history.opponent(1)


def alternator(history: History, rng: np.random.Generator) -> np.ndarray:
    """C, D, C, D, … (switches from its own last move)."""
    return history.own(1) == C


def go_by_majority(history: History, rng: np.random.Generator) -> np.ndarray:
    """D when the opponent has defected more often than cooperated; C on a tie (soft)."""
    defections = history.opponent_defections
    return defections > history.turn - defections


# -------------------------------------------------------------------------- stochastic rules
def random_moves(p: float = 0.5) -> Decide:
    """C with probability ``p`` each turn, whatever happened."""
    _check_probability("p", p)

    def decide(history: History, rng: np.random.Generator) -> np.ndarray:
        return rng.random(history.n) >= p

    return decide


def memory_one(four_vector: Sequence[float], initial: int | str = C) -> Decide:
    """C with probability ``four_vector[(own, opponent)]`` of the last turn; ``initial`` first.

    The vector is ``(P(C | CC), P(C | CD), P(C | DC), P(C | DD))`` (Nowak & Sigmund's memory-one
    strategies): tit-for-tat is (1, 0, 1, 0), win-stay-lose-shift (1, 0, 0, 1). ``initial`` is
    C or D, as 0/1 or ``"C"``/``"D"``.
    """
    if (
        isinstance(four_vector, str)
        or not isinstance(four_vector, Sequence)
        or len(four_vector) != 4
    ):
        raise ValueError(
            "four_vector must list 4 probabilities (P(C|CC), P(C|CD), P(C|DC), P(C|DD)), "
            f"got {four_vector!r}"
        )
    for k, p in enumerate(four_vector):
        _check_probability(f"four_vector[{k}]", p)
    first = {"C": C, "D": D, C: C, D: D}.get(initial) if not isinstance(initial, bool) else None
    if first is None:
        raise ValueError(f"initial must be 'C' or 'D' (or 0, 1), got {initial!r}")
    cooperate = np.asarray(four_vector, dtype=np.float64)

    def decide(history: History, rng: np.random.Generator) -> np.ndarray:
        if history.turn == 0:
            return np.full(history.n, first, dtype=np.int8)
        last = 2 * history.own(1) + history.opponent(1)
        return rng.random(history.n) >= cooperate[last]

    return decide


def generous_tit_for_tat(p: float | None = None) -> Decide:
    """Tit-for-tat that forgives a defection with probability ``p`` (Nowak & Sigmund 1992).

    ``p=None`` takes the game's :attr:`~socialrl.tournament.game.Game.generosity` (1/3 in the
    default prisoner's dilemma), as the ``axelrod`` library's ``GTFT`` does.
    """
    if p is not None:
        _check_probability("p", p)

    def decide(history: History, rng: np.random.Generator) -> np.ndarray:
        forgive = history.game.generosity if p is None else p
        return (history.opponent(1) == D) & (rng.random(history.n) >= forgive)

    return decide


def _check_probability(name: str, p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")


# ------------------------------------------------------------------------------- catalogue
def _rule(name: str, decide: Decide) -> Callable[[], Strategy]:
    def build() -> Strategy:
        return Strategy(name, decide)

    return build


def _random(p: float = 0.5) -> Strategy:
    return Strategy("Random", random_moves(p), stochastic=0.0 < p < 1.0)


def _gtft(p: float | None = None) -> Strategy:
    return Strategy("GTFT", generous_tit_for_tat(p), stochastic=p is None or 0.0 < p < 1.0)


def _memory_one(four_vector: Sequence[float], initial: int | str = C) -> Strategy:
    decide = memory_one(four_vector, initial)  # checks the vector first
    return Strategy("MemoryOne", decide, stochastic=any(0.0 < p < 1.0 for p in four_vector))


#: Every strategy by its ``axelrod`` class name → a builder taking the strategy's parameters.
STRATEGIES: Mapping[str, Callable[..., Strategy]] = {
    "Cooperator": _rule("Cooperator", cooperator),
    "Defector": _rule("Defector", defector),
    "TitForTat": _rule("TitForTat", tit_for_tat),
    "SuspiciousTitForTat": _rule("SuspiciousTitForTat", suspicious_tit_for_tat),
    "TitFor2Tats": _rule("TitFor2Tats", tit_for_two_tats),
    "TwoTitsForTat": _rule("TwoTitsForTat", two_tits_for_tat),
    "Grudger": _rule("Grudger", grudger),
    "WinStayLoseShift": _rule("WinStayLoseShift", win_stay_lose_shift),
    "Alternator": _rule("Alternator", alternator),
    "GoByMajority": _rule("GoByMajority", go_by_majority),
    "Random": _random,
    "GTFT": _gtft,
    "MemoryOne": _memory_one,
}


def make_strategy(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """The strategy called ``name`` (:data:`STRATEGIES`) with ``params``.

    Raises:
        ValueError: one line naming an unknown strategy or parameter and what is allowed, or a
            parameter's value outside its range.

    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}")
    build = STRATEGIES[name]
    params = dict(params or {})
    allowed = list(inspect.signature(build).parameters)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        takes = f"allowed: {', '.join(allowed)}" if allowed else "it takes none"
        raise ValueError(f"strategy {name!r} takes no parameter {', '.join(unknown)}; {takes}")
    strategy = build(**params)
    if not params:
        return strategy
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    return replace(strategy, name=f"{name}({shown})")
