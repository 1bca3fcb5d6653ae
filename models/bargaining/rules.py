"""The rules of alternating-offers bargaining (Rubinstein 1982; Ståhl 1972), batched.

Two players split a pie of ``N`` units. In round ``t = 0, 1, …, T − 1`` the proposer — player
``t mod 2``, so player 0 opens — proposes to keep ``x ∈ {0, …, N}`` units; the other player,
the responder, accepts or rejects. Acceptance ends the game: the proposer ``p`` gets
``δ_p^t · x / N`` and the responder ``r`` gets ``δ_r^t · (N − x) / N`` — shares of the pie,
each discounted by the player's own δ for the rounds spent haggling (impatience is what gives
the first proposer its edge). A rejection passes the proposal to the other player in the next
round; a rejection in the last round ``T − 1`` ends the game in disagreement, both getting 0.
The ultimatum game (Güth, Schmittberger & Schwarze 1982) is the one-round case ``T = 1``.

**Moves** share one action set of ``N + 3`` actions: ``0 … N`` — propose to keep that many
units; ``N + 1`` — accept; ``N + 2`` — reject. The legal moves say which apply: a proposer
may only propose, a responder only accept or reject (:meth:`AlternatingOffers.legal`).

**A position** is one ``int64`` row (:data:`COLUMNS`)::

    round   0 … T − 1: the round being played (at the end: the round the game ended in)
    phase   0: the proposer is to propose; 1: the responder is to answer the offer
    offer   units the proposer proposes to keep, 0 … N; −1 while none is on the table
    mover   the player to move, 0 or 1 (the proposer of round t is t mod 2); −1 at the end
    status  0: playing; 1: agreed (on ``offer`` in ``round``); 2: disagreement

A disagreement keeps the last rejected offer in ``offer``. Every method works on batches of
rows with a few vectorised numpy operations (tables built once, then indexed), because a tree
search calls them on thousands of positions at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ACCEPT",
    "AGREED",
    "COLUMNS",
    "DISAGREED",
    "PLAYING",
    "PROPOSING",
    "REJECT",
    "RESPONDING",
    "AlternatingOffers",
    "as_deltas",
]

#: The columns of a position row, in order.
COLUMNS = ("round", "phase", "offer", "mover", "status")
ROUND, PHASE, OFFER, MOVER, STATUS = range(len(COLUMNS))
#: Phases.
PROPOSING, RESPONDING = 0, 1
#: Statuses.
PLAYING, AGREED, DISAGREED = 0, 1, 2
#: The answers, as offsets past the last proposal: action ``N + ACCEPT`` accepts.
ACCEPT, REJECT = 1, 2


def _whole(name: str, value: object, lowest: int) -> int:
    """``value`` as an int ≥ ``lowest``, or a one-line ValueError naming the parameter."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or int(value) != value
        or value < lowest
    ):
        raise ValueError(f"{name} must be a whole number ≥ {lowest}, got {value!r}")
    return int(value)


def as_deltas(delta: object) -> tuple[float, float]:
    """``(δ₀, δ₁)`` from a common δ or a pair; each must lie in (0, 1].

    δ = 1 is allowed (no impatience: the finite game still has an answer); δ = 0 is not —
    a player who values the future at nothing makes every later round void.
    """
    number = isinstance(delta, int | float | np.number)
    pair: tuple[object, ...] = ()
    if number:
        pair = (delta, delta)
    elif isinstance(delta, Sequence | np.ndarray) and not isinstance(delta, str | bytes):
        pair = tuple(delta)
    if len(pair) != 2:
        raise ValueError(f"delta must be one discount factor or a pair (δ₀, δ₁), got {delta!r}")
    values: list[float] = []
    for k, d in enumerate(pair):
        name = "delta" if number else f"delta[{k}]"
        if isinstance(d, bool) or not isinstance(d, int | float | np.number) or not 0 < d <= 1:
            raise ValueError(f"{name} must lie in (0, 1] (a discount factor per round), got {d!r}")
        values.append(float(d))
    return values[0], values[1]


@dataclass(frozen=True)
class AlternatingOffers:
    """Alternating-offers bargaining over ``pie`` units for ``horizon`` rounds (a GameRules).

    Args:
        pie: ``N ≥ 1``, the units on the table.
        delta: A common discount factor per round or a pair ``(δ₀, δ₁)``, each in (0, 1].
        horizon: ``T ≥ 1`` rounds (1: the ultimatum game).

    Raises:
        ValueError: naming the parameter, its value and what is allowed.

    """

    pie: int = 10
    delta: float | tuple[float, float] = 0.9
    horizon: int = 1
    # Lookup tables, built once (not part of the game's identity).
    _masks: np.ndarray = field(init=False, repr=False, compare=False)
    _discount: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pie = _whole("pie", self.pie, 1)
        horizon = _whole("horizon", self.horizon, 1)
        deltas = as_deltas(self.delta)
        object.__setattr__(self, "pie", pie)
        object.__setattr__(self, "horizon", horizon)
        object.__setattr__(self, "delta", deltas)
        # Legal moves by kind of position: 0 over, 1 proposing, 2 responding.
        masks = np.zeros((3, pie + 3), dtype=bool)
        masks[1, : pie + 1] = True
        masks[2, pie + ACCEPT] = masks[2, pie + REJECT] = True
        # δ_player^round: what one unit agreed in that round is worth to the player now.
        rounds = np.arange(horizon)
        discount = np.array([[d**t for t in rounds] for d in deltas])
        for table in (masks, discount):
            table.flags.writeable = False
        object.__setattr__(self, "_masks", masks)
        object.__setattr__(self, "_discount", discount)

    @property
    def deltas(self) -> tuple[float, float]:
        """``(δ₀, δ₁)``, each player's discount factor per round."""
        return as_deltas(self.delta)

    # ------------------------------------------------------------------ GameRules
    def n_players(self) -> int:
        """Two bargainers."""
        return 2

    def n_actions(self) -> int:
        """``N + 3``: keep 0 … N units, accept, reject."""
        return self.pie + 3

    @property
    def accept(self) -> int:
        """The action that accepts the offer on the table."""
        return self.pie + ACCEPT

    @property
    def reject(self) -> int:
        """The action that rejects it."""
        return self.pie + REJECT

    def initial(self, n: int) -> np.ndarray:
        """Round 0, player 0 to propose, nothing on the table."""
        row = np.array([0, PROPOSING, -1, 0, PLAYING], dtype=np.int64)
        return np.tile(row, (n, 1))

    def to_move(self, states: np.ndarray) -> np.ndarray:
        """The ``mover`` column (−1 where the game is over)."""
        return np.asarray(states)[:, MOVER]

    def legal(self, states: np.ndarray) -> np.ndarray:
        """Proposals for a proposer, accept/reject for a responder, nothing at the end."""
        return self._masks[self._kind(states)]

    def _kind(self, states: np.ndarray) -> np.ndarray:
        """0 over, 1 proposing, 2 responding (the row of :attr:`_masks`)."""
        states = np.asarray(states)
        return np.where(states[:, STATUS] == PLAYING, 1 + states[:, PHASE], 0)

    def play(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The positions after each mover's (legal) move; finished games stay as they are.

        Column by column with ``np.where`` (no masked scatter): a proposal puts the offer on
        the table for the other player; an acceptance ends the game agreed; a rejection
        opens the next round with the roles swapped, or ends the last one in disagreement.
        """
        states = np.asarray(states)
        a = np.asarray(actions, dtype=np.int64)
        t, phase, offer, mover, status = states.T
        on = status == PLAYING
        propose = on & (phase == PROPOSING)
        answer = on & (phase == RESPONDING)
        agree = answer & (a == self.pie + ACCEPT)
        refuse = answer & ~agree
        last = refuse & (t == self.horizon - 1)
        carry_on = refuse & ~last
        new = np.empty_like(states)
        new[:, ROUND] = t + carry_on
        new[:, PHASE] = np.where(propose, RESPONDING, np.where(carry_on, PROPOSING, phase))
        new[:, OFFER] = np.where(propose, a, np.where(carry_on, -1, offer))
        # The responder who rejects proposes next round: only a proposal hands the move over.
        new[:, MOVER] = np.where(propose, 1 - mover, np.where(agree | last, -1, mover))
        new[:, STATUS] = np.where(agree, AGREED, np.where(last, DISAGREED, status))
        return new

    def terminal(self, states: np.ndarray) -> np.ndarray:
        """Agreed or disagreed."""
        return np.asarray(states)[:, STATUS] != PLAYING

    def payoffs(self, states: np.ndarray) -> np.ndarray:
        """``δ_p^t x/N`` to the proposer, ``δ_r^t (N − x)/N`` to the responder; 0 otherwise."""
        states = np.asarray(states)
        out = np.zeros((states.shape[0], 2))
        rows = np.flatnonzero(states[:, STATUS] == AGREED)
        t = states[rows, ROUND]
        proposer = t % 2
        kept = states[rows, OFFER] / self.pie
        out[rows, proposer] = self._discount[proposer, t] * kept
        out[rows, 1 - proposer] = self._discount[1 - proposer, t] * (1.0 - kept)
        return out

    def features(self, states: np.ndarray) -> np.ndarray:
        """``float32[n, T + 2 + N + 1 + 4]`` from the mover's viewpoint.

        One-hot round, one-hot phase, one-hot units the mover would get if the offer on the
        table were accepted (all zero while proposing), then the mover's δ, the other's δ,
        and both discounts of this round, ``δ^t``: what a unit agreed now is worth to each.
        """
        states = np.asarray(states)
        n, T, N = states.shape[0], self.horizon, self.pie
        rows = np.arange(n)
        t = states[:, ROUND]
        me = np.maximum(states[:, MOVER], 0)
        out = np.zeros((n, T + 2 + N + 1 + 4), dtype=np.float32)
        out[rows, t] = 1.0
        out[rows, T + states[:, PHASE]] = 1.0
        answering = np.flatnonzero((states[:, PHASE] == RESPONDING) & (states[:, OFFER] >= 0))
        out[answering, T + 2 + N - states[answering, OFFER]] = 1.0
        deltas = np.asarray(self.deltas)
        tail = T + 2 + N + 1
        out[:, tail] = deltas[me]
        out[:, tail + 1] = deltas[1 - me]
        out[:, tail + 2] = self._discount[me, t]
        out[:, tail + 3] = self._discount[1 - me, t]
        return out

    # ------------------------------------------------------------------ state indices
    def n_states(self) -> int:
        """Positions a tabular learner tells apart: ``T (N + 2)`` in play, plus one end."""
        return self.horizon * (self.pie + 2) + 1

    def state_index(self, states: np.ndarray) -> np.ndarray:
        """Each position as one integer: ``t (N + 2)`` to propose, ``+ 1 + x`` to answer ``x``.

        Every finished game maps to the last index, ``T (N + 2)``: what a learner bootstraps
        from there is nothing (the game ended), so the ends need not be told apart.
        """
        states = np.asarray(states)
        t, phase, offer = states[:, ROUND], states[:, PHASE], states[:, OFFER]
        inside = t * (self.pie + 2) + np.where(phase == RESPONDING, 1 + offer, 0)
        return np.where(states[:, STATUS] == PLAYING, inside, self.n_states() - 1)

    def positions(self, index: np.ndarray) -> np.ndarray:
        """The positions in play with these state indices (the inverse of :meth:`state_index`).

        Raises:
            ValueError: for an index outside ``0 … T (N + 2) − 1`` (the end is not one
                position but many).

        """
        index = np.asarray(index, dtype=np.int64)
        inside = self.n_states() - 1
        if ((index < 0) | (index >= inside)).any():
            raise ValueError(f"a state index of a position in play lies in [0, {inside})")
        t, rest = np.divmod(index, self.pie + 2)
        responding = rest > 0
        out = np.empty((index.shape[0], len(COLUMNS)), dtype=np.int64)
        out[:, ROUND] = t
        out[:, PHASE] = responding
        out[:, OFFER] = np.where(responding, rest - 1, -1)
        out[:, MOVER] = (t + responding) % 2
        out[:, STATUS] = PLAYING
        return out

    def position_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` of every column: the observation space's box."""
        low = np.array([0, 0, -1, -1, 0], dtype=np.int64)
        high = np.array([self.horizon - 1, 1, self.pie, 1, 2], dtype=np.int64)
        return low, high

    def describe(self, state: np.ndarray) -> str:
        """One position in words (for ``render_text`` and error messages)."""
        t, phase, offer, mover, status = (int(v) for v in state)
        if status == AGREED:
            return f"agreed in round {t}: player {t % 2} keeps {offer}/{self.pie}"
        if status == DISAGREED:
            return f"disagreement after round {t} (last offer: keep {offer}/{self.pie})"
        if phase == PROPOSING:
            return f"round {t}: player {mover} to propose"
        return f"round {t}: player {mover} to answer 'player {1 - mover} keeps {offer}/{self.pie}'"
