"""A tiny game with a known solution, for testing planners without a board: Nim.

``pile`` stones; the player to move takes 1 … ``take`` of them; whoever takes the last stone
wins (+1, the other −1). Known answer (Bouton 1901, one pile): the player to move loses exactly
when ``pile % (take + 1) == 0``; otherwise the winning move leaves a multiple of ``take + 1``.
"""

from __future__ import annotations

import numpy as np

PILE, MOVER, WINNER = 0, 1, 2


class Nim:
    """One pile of Nim as :class:`socialrl.games.GameRules` (move ``a`` takes ``a + 1``)."""

    def __init__(self, pile: int = 7, take: int = 2) -> None:
        self.pile = pile
        self.take = take

    def n_players(self) -> int:
        return 2

    def n_actions(self) -> int:
        return self.take

    def initial(self, n: int) -> np.ndarray:
        return np.tile(np.array([self.pile, 0, -1], dtype=np.int64), (n, 1))

    def to_move(self, states: np.ndarray) -> np.ndarray:
        return states[:, MOVER].copy()

    def legal(self, states: np.ndarray) -> np.ndarray:
        takes = np.arange(1, self.take + 1)
        return (takes[None, :] <= states[:, PILE, None]) & (states[:, WINNER, None] < 0)

    def play(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        out = states.copy()
        out[:, PILE] -= actions + 1
        won = out[:, PILE] == 0
        out[won, WINNER] = states[won, MOVER]
        out[:, MOVER] = 1 - states[:, MOVER]
        return out

    def terminal(self, states: np.ndarray) -> np.ndarray:
        return states[:, WINNER] >= 0

    def payoffs(self, states: np.ndarray) -> np.ndarray:
        out = np.zeros((states.shape[0], 2))
        won = states[:, WINNER] >= 0
        winner = states[won, WINNER]
        out[np.flatnonzero(won), winner] = 1.0
        out[np.flatnonzero(won), 1 - winner] = -1.0
        return out

    def features(self, states: np.ndarray) -> np.ndarray:
        onehot = np.zeros((states.shape[0], self.pile + 1), dtype=np.float32)
        onehot[np.arange(states.shape[0]), states[:, PILE]] = 1.0
        return onehot

    def winning_moves(self, pile: int) -> list[int]:
        """Moves (0-based) that leave a multiple of ``take + 1``; [] in a lost position."""
        return [
            a for a in range(self.take) if a + 1 <= pile and (pile - a - 1) % (self.take + 1) == 0
        ]


def play_games(rules, first, second, n_games, seed=0, learn=True, greedy=False):  # type: ignore[no-untyped-def]
    """Play ``n_games`` games between two learners of the masked-acting kind; payoffs.

    A stand-in for a game model in unit tests of planners: seat 0 is ``first``, seat 1
    ``second`` (the same object for self-play); games that end are handed to the learners
    (``learn``) with their final positions.
    """
    states = rules.initial(n_games)
    done = np.zeros(n_games, dtype=bool)
    payoffs = np.zeros((n_games, 2))
    while not done.all():
        legal = rules.legal(states)
        mover = rules.to_move(states)
        actions = np.zeros(n_games, dtype=np.int64)
        for seat, player in ((0, first), (1, second)):
            mine = legal & ((mover == seat) & ~done)[:, None]
            pick = player.greedy_masked if greedy else player.act_masked
            chosen = pick(states, mine)
            actions = np.where(mine.any(axis=1), chosen, actions)
        live = ~done
        states[live] = rules.play(states[live], actions[live])
        ended = live & rules.terminal(states)
        if ended.any() and learn:
            for player in {id(first): first, id(second): second}.values():
                if player.learns:
                    player.learn(states, actions, np.zeros(n_games), states, ended)
        payoffs[ended] = rules.payoffs(states[ended])
        done |= ended
    return payoffs
