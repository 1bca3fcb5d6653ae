"""Many matches of the iterated game played at once: every turn is a few array operations.

A batch holds ``M`` matches, each between two players of a list (``pairs[m] = (i, j)``; ``i == j``
is self-play, two independent copies of the player). The ``2M`` seats are laid out side by side
(seat ``2m`` is match ``m``'s first player, ``2m + 1`` its second), and every player is asked once
for the seats it fills (:meth:`~socialrl.tournament.players.Player.seats`). A turn is then:

1. each player decides for all its seats from their shared history (one call per player);
2. noise flips each intended move with probability ``noise``, as in the ``axelrod`` library
   (both players then remember the flipped move);
3. each seat gets ``game.payoffs[own, other]``; learners learn from it.

Match length is ``turns``, or, with ``prob_end``, a geometric draw (each turn ends the match with
probability ``prob_end``: Axelrod's second tournament's "shadow of the future"), capped at
``turns``. Matches that end early stay in the batch, but their later turns count for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from socialrl.tournament.game import NONE, Game
from socialrl.tournament.history import History
from socialrl.tournament.players import Player, Seats

__all__ = ["MatchSettings", "Matches", "play_matches"]


@dataclass(frozen=True)
class MatchSettings:
    """How a match is played.

    Attributes:
        turns: Turns per match (with ``prob_end``: the most a match may last).
        noise: Probability that each intended move is flipped, in [0, 1].
        prob_end: Probability that a match ends after each turn, in (0, 1]; None: every match
            lasts ``turns`` turns.
        game: The stage game.

    """

    turns: int = 200
    noise: float = 0.0
    prob_end: float | None = None
    game: Game = field(default_factory=Game)

    def __post_init__(self) -> None:
        if isinstance(self.turns, bool) or not isinstance(self.turns, int) or self.turns < 1:
            raise ValueError(f"turns must be a whole number ≥ 1, got {self.turns!r}")
        if not (isinstance(self.noise, int | float) and 0.0 <= self.noise <= 1.0):
            raise ValueError(f"noise must be a probability in [0, 1], got {self.noise!r}")
        if self.prob_end is not None and not (
            isinstance(self.prob_end, int | float) and 0.0 < self.prob_end <= 1.0
        ):
            raise ValueError(f"prob_end must lie in (0, 1] or be None, got {self.prob_end!r}")


@dataclass(frozen=True)
class Matches:
    """What a batch of matches gave.

    Attributes:
        pairs: ``int64[M, 2]``, the players' indices in each match.
        lengths: ``int64[M]``, turns each match lasted.
        scores: ``float64[M, 2]``, each side's total payoff.
        cooperations: ``int64[M, 2]``, each side's cooperations (realised moves).
        moves: ``int8[M, 2, turns]``, realised moves (C = 0, D = 1), ``NONE`` after a match's end.

    """

    pairs: np.ndarray
    lengths: np.ndarray
    scores: np.ndarray
    cooperations: np.ndarray
    moves: np.ndarray

    @property
    def scores_per_turn(self) -> np.ndarray:
        """``float64[M, 2]``: each side's mean payoff per turn."""
        return self.scores / self.lengths[:, None]


def play_matches(
    players: Sequence[Player],
    pairs: np.ndarray | Sequence[tuple[int, int]],
    settings: MatchSettings | None = None,
    seed: int | np.random.SeedSequence = 0,
) -> Matches:
    """Play every match of ``pairs`` (indices into ``players``) at once.

    Args:
        players: The players.
        pairs: ``[M, 2]`` indices of the two players of each match.
        settings: Turns, noise, ending probability and game (default: 200 turns of the
            prisoner's dilemma without noise).
        seed: The batch's seed: the noise, the match lengths and each player's generator are
            drawn from streams spawned from it.

    """
    settings = settings or MatchSettings()
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= len(players)):
        raise ValueError(f"pairs must index the {len(players)} players, got {pairs.tolist()!r}")
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    streams = root.spawn(1 + len(players))
    rng = np.random.default_rng(streams[0])
    lengths = _lengths(settings, pairs.shape[0], rng)
    seat_player = pairs.reshape(-1)
    groups = [
        (seats, players[p].name, players[p].seats(seats.shape[0], streams[1 + p]))
        for p in range(len(players))
        if (seats := np.flatnonzero(seat_player == p)).size
    ]
    moves, scores, cooperations = _play(groups, np.repeat(lengths, 2), settings, rng)
    turn = np.arange(moves.shape[1])
    moves[turn[None, :] >= np.repeat(lengths, 2)[:, None]] = NONE
    return Matches(
        pairs=pairs,
        lengths=lengths,
        scores=scores.reshape(-1, 2),
        cooperations=cooperations.reshape(-1, 2),
        moves=moves.reshape(-1, 2, moves.shape[1]),
    )


def _lengths(settings: MatchSettings, n: int, rng: np.random.Generator) -> np.ndarray:
    """Turns of each match: ``turns``, or min(turns, Geometric(prob_end)) (≥ 1)."""
    if settings.prob_end is None:
        return np.full(n, settings.turns, dtype=np.int64)
    return np.minimum(rng.geometric(settings.prob_end, n), settings.turns).astype(np.int64)


def _play(
    groups: list[tuple[np.ndarray, str, Seats]],
    seat_length: np.ndarray,
    settings: MatchSettings,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The turns: decide, flip, pay, learn. Returns every seat's moves, scores, cooperations."""
    n_seats = seat_length.shape[0]
    moves = np.full((n_seats, int(seat_length.max(initial=0))), NONE, dtype=np.int8)
    defections = np.zeros(n_seats, dtype=np.int64)
    scores = np.zeros(n_seats)
    cooperations = np.zeros(n_seats, dtype=np.int64)
    opposite = np.arange(n_seats) ^ 1
    matrix, game = settings.game.matrix, settings.game
    intended = np.empty(n_seats, dtype=np.int8)
    for t in range(moves.shape[1]):
        for seats, name, chooser in groups:
            chosen = chooser.act(History(moves, defections, seats, t, game))
            intended[seats] = _as_moves(chosen, seats.shape[0], name)
        realised = intended
        if settings.noise > 0:
            realised = intended ^ np.less(rng.random(n_seats), settings.noise).astype(np.int8)
        moves[:, t] = realised
        playing = seat_length > t
        payoffs = np.where(playing, matrix[realised, realised[opposite]], 0.0)
        scores += payoffs
        defections += realised
        cooperations += playing & (realised == 0)
        last = seat_length - 1 == t
        for seats, _, chooser in groups:
            after = History(moves, defections, seats, t + 1, game)
            chooser.update(after, intended[seats], payoffs[seats], playing[seats], last[seats])
    return moves, scores, cooperations


def _as_moves(chosen: np.ndarray, n: int, name: str) -> np.ndarray:
    """A player's decisions as C/D codes, refusing anything else (one line naming the player)."""
    moves = np.asarray(chosen)
    if moves.shape != (n,):
        raise ValueError(f"player {name!r} returned moves of shape {moves.shape}, expected ({n},)")
    if moves.dtype != np.bool_ and n and not ((moves == 0) | (moves == 1)).all():
        bad = moves[(moves != 0) & (moves != 1)][0].item()
        raise ValueError(f"player {name!r} returned move {bad!r}; moves are C = 0 or D = 1")
    return moves.astype(np.int8, copy=False)
