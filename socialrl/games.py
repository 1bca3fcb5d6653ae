"""Rules of turn-based games, as pure batched functions that a planner can simulate.

A search learner (Monte Carlo tree search, AlphaZero) does not only act in the world: it
*imagines* continuations of the present position. For that it needs the game's rules as a
simulator it can call on positions of its own — the position the game is in, and the positions
its imagined moves lead to — without touching the Mesa model that hosts the real games. This
module says what such rules provide (:class:`GameRules`) and adds the few operations every
user of rules needs (sampling legal moves, playing positions to their end).

Conventions, shared by every game of the lab (bargaining, k-in-a-row boards):

- A **position** (state) is one row of a small integer array, ``states[n, d]``: everything
  that determines the rest of the game (board cells and the player to move; the round, the
  offer on the table and whose turn it is). Rules never mutate their arguments: ``play``
  returns new rows, so a search may branch from one position many times.
- **Finite, perfect information, turn-based**: exactly one player moves in a non-terminal
  position (:meth:`GameRules.to_move`); chance moves are not modelled.
- **Payoffs** are given at terminal positions for *every* player (``float64[n, players]``):
  zero-sum games (a board: +1/−1/0) and general-sum ones (a bargaining split, discounted by
  the round) are treated alike — a planner backs up the whole vector and each player
  maximises its own component (max-n; for two-player zero-sum games it is negamax).
- **Legal moves** are a boolean mask ``bool[n, A]`` over one shared action set. A terminal
  position has none.
- **Features** are what a network sees: the position encoded from the viewpoint of the
  player to move, so that one network serves both sides (AlphaZero's canonical form).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "GameRules",
    "IllegalMove",
    "check_legal",
    "check_moves",
    "handed_rules",
    "movers_moves",
    "play_out",
    "sample_legal",
    "seat_rows",
]


class IllegalMove(ValueError):
    """A move that the rules forbid was forced (masked moves are never sampled)."""


@runtime_checkable
class GameRules(Protocol):
    """The rules of a finite, turn-based game of perfect information, on batches of positions.

    All methods are pure: they read ``states`` and return new arrays.
    """

    def n_players(self) -> int:
        """Number of players (2 for every game of the lab so far)."""
        ...

    def n_actions(self) -> int:
        """Size of the shared action set (moves are ``0 … n_actions − 1``)."""
        ...

    def initial(self, n: int) -> np.ndarray:
        """``n`` copies of the starting position, ``int64[n, d]``."""
        ...

    def to_move(self, states: np.ndarray) -> np.ndarray:
        """The player to move in each position, ``int64[n]`` (any value at terminal ones)."""
        ...

    def legal(self, states: np.ndarray) -> np.ndarray:
        """Legal moves, ``bool[n, n_actions]``; all False at terminal positions."""
        ...

    def play(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The positions after each mover plays ``actions[i]`` (legal: the caller checks)."""
        ...

    def terminal(self, states: np.ndarray) -> np.ndarray:
        """``bool[n]``: the game is over."""
        ...

    def payoffs(self, states: np.ndarray) -> np.ndarray:
        """``float64[n, n_players]``: every player's payoff at terminal positions (0 elsewhere)."""
        ...

    def features(self, states: np.ndarray) -> np.ndarray:
        """``float32[n, F]``: the positions as the player to move sees them (network input)."""
        ...


def sample_legal(legal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly random legal move per row, ``int64[n]``; 0 for rows without any.

    Draws one uniform number per row (the same draws whatever the masks), so that a batch of
    games stays reproducible from one generator however the games branch.
    """
    counts = legal.sum(axis=1)
    u = rng.random(legal.shape[0])
    k = np.minimum((u * counts).astype(np.int64), np.maximum(counts - 1, 0))
    # The k-th legal move of each row: the first column whose running count exceeds k.
    rank = np.cumsum(legal, axis=1)
    choice = np.argmax(rank > k[:, None], axis=1)
    return np.where(counts > 0, choice, 0).astype(np.int64)


def check_legal(legal: np.ndarray, actions: np.ndarray, movers: np.ndarray, what: str) -> None:
    """Raise :class:`IllegalMove`, in one line, where a mover's action is not a legal move.

    Args:
        legal: ``bool[n, A]`` legal moves.
        actions: ``int64[n]`` the actions given.
        movers: ``bool[n]`` the rows whose action counts (the others are ignored).
        what: How to name a row in the message, e.g. ``"game"``.

    """
    actions = np.asarray(actions)
    n_actions = legal.shape[1]
    inside = (actions >= 0) & (actions < n_actions)
    ok = np.zeros(actions.shape, dtype=bool)
    rows = np.flatnonzero(inside)
    ok[rows] = legal[rows, actions[rows]]
    bad = np.flatnonzero(movers & ~ok)
    if bad.size:
        i = int(bad[0])
        allowed = np.flatnonzero(legal[i]).tolist()
        raise IllegalMove(
            f"illegal move {int(actions[i])} in {what} {i} ({bad.size} illegal in all); "
            f"legal moves there: {allowed}"
        )


def play_out(
    rules: GameRules, states: np.ndarray, rng: np.random.Generator, max_moves: int = 10_000
) -> np.ndarray:
    """Play every position to its end with uniformly random legal moves; the payoffs.

    The rollout of plain Monte Carlo tree search: all rows advance together, one vectorised
    move per ply, so many rollouts cost about as much as the longest one.

    Returns:
        ``float64[n, n_players]``, every player's payoff at the end of each rollout.

    Raises:
        RuntimeError: where a game has not ended after ``max_moves`` plies (rules that loop).

    """
    states = np.array(states, copy=True)
    done = rules.terminal(states)
    for _ in range(max_moves):
        if done.all():
            break
        live = np.flatnonzero(~done)
        moves = sample_legal(rules.legal(states[live]), rng)
        states[live] = rules.play(states[live], moves)
        done[live] = rules.terminal(states[live])
    if done.all():
        return rules.payoffs(states)
    raise RuntimeError(f"random play did not end a game within {max_moves} moves")


def check_moves(rules: GameRules, n_actions: int, who: str) -> None:
    """Refuse, in one line, rules whose moves do not fit the role's action space."""
    if n_actions and rules.n_actions() != n_actions:
        raise ValueError(
            f"{who}: the rules have {rules.n_actions()} moves, the role's action space {n_actions}"
        )


def handed_rules(rules: GameRules | None, who: str) -> GameRules:
    """The rules a planner was handed, or a one-line error saying how to hand them over."""
    if rules is None:
        raise RuntimeError(
            f"{who} plans with a game's rules: bind it in a population of a game model "
            "(board, bargaining), or call use_rules(rules)"
        )
    return rules


def movers_moves(actions: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """The action of each game's mover, ``int64[G]``, from the actions of its two seats.

    A batch of two-seat games lays its agents out seat by seat (agent ``2g + s`` is seat
    ``s`` of game ``g``); ``seats[g]`` is the seat to move in game ``g``.
    """
    games = seats.shape[0]
    return np.asarray(actions, dtype=np.int64).reshape(games, 2)[np.arange(games), seats]


def seat_rows(per_game: np.ndarray, seats: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Per-game rows ``[G, …]`` given to each live game's mover, zeros to everyone else.

    The inverse of :func:`movers_moves`, per agent ``[2G, …]``: a game's legal moves (or that
    its mover moved) belong to the seat to move; the waiting seat, and both seats of a game
    that is over, get none.
    """
    out = np.zeros((seats.shape[0], 2, *per_game.shape[1:]), dtype=per_game.dtype)
    games = np.flatnonzero(live)
    out[games, seats[games]] = per_game[games]
    return out.reshape(2 * seats.shape[0], *per_game.shape[1:])
