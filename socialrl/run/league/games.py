"""Who won: the games between a learner's agents and the agents of the group they face.

Agents are paired in order: the ``k``-th agent of the learner's group plays the ``k``-th agent
of the opposing group (in a board model with ``agents = {seat = 0}`` and ``{seat = 1}``, the
two seats of game ``k``; in a ``pairs`` network with even and odd slots, pair ``k``). A game
is one episode of the pair: the learner wins it if its rewards over the episode exceed its
opponent's, draws if they are equal, loses otherwise — a board game's ±1, the larger share of
a bargained pie, the higher score of a repeated prisoner's dilemma (where always-defect never
loses a game and tit-for-tat never wins one, Axelrod 1984).

Games are counted within a *window* of steps (a snapshot period, an evaluation match):

* an episode that ends in the window counts if it also started in it (at the window's start
  when the window starts with fresh games, e.g. an evaluation match's new model);
* a model whose episodes do not end in the window at all (a repeated game without a time
  limit) counts the whole window as one game per pair.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PairedGames", "game_results"]


def game_results(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """+1 (won), 0 (drawn) or −1 (lost) per game, from the two sides' summed rewards.

    Sums equal up to rounding (relative 1e-9) are a draw: the same payoffs added in another
    order must not decide a game.
    """
    diff = np.asarray(mine, dtype=np.float64) - np.asarray(theirs, dtype=np.float64)
    tol = 1e-9 * np.maximum(1.0, np.maximum(np.abs(mine), np.abs(theirs)))
    return np.where(diff > tol, 1, np.where(diff < -tol, -1, 0)).astype(np.int8)


class PairedGames:
    """The games of paired agents in one window of steps, in the order they end.

    Args:
        mine: Slots of the learner's agents (in the role's batch).
        theirs: Slots of the agents they face, in the same order (``mine[k]`` meets
            ``theirs[k]``).
        fresh: Whether the window starts with new games (a fresh model), so that the first
            episode of each pair counts too.

    """

    def __init__(self, mine: np.ndarray, theirs: np.ndarray, fresh: bool) -> None:
        if mine.shape != theirs.shape:
            raise ValueError(f"{mine.size} agents cannot be paired with {theirs.size}")
        self.mine, self.theirs = mine, theirs
        n = mine.size
        self._own = np.zeros(n)
        self._other = np.zeros(n)
        self._fresh = np.full(n, fresh)
        self._ended = np.zeros(n, dtype=bool)
        self._results: list[np.ndarray] = []
        self.steps = 0

    def add(self, reward: np.ndarray, done: np.ndarray) -> None:
        """Count one step: the role's rewards and ended episodes (terminated or truncated)."""
        self._own += reward[self.mine]
        self._other += reward[self.theirs]
        self.steps += 1
        closed = done[self.mine]
        if not closed.any():
            return
        k = np.flatnonzero(closed)
        counted = k[self._fresh[k]]
        if counted.size:
            self._results.append(game_results(self._own[counted], self._other[counted]))
        self._own[k] = 0.0
        self._other[k] = 0.0
        self._fresh[k] = True
        self._ended[k] = True

    def close(self, fresh: bool = False) -> np.ndarray:
        """The window's results (+1/0/−1, in the order the games ended); start a new window.

        Args:
            fresh: Whether the next window starts with new games.

        """
        results = list(self._results)
        if self.steps and not self._ended.any():  # episodes never end here: the window is a game
            results.append(game_results(self._own, self._other))
        self._own[:] = 0.0
        self._other[:] = 0.0
        self._fresh[:] = fresh
        self._ended[:] = False
        self._results = []
        self.steps = 0
        return np.concatenate(results) if results else np.zeros(0, dtype=np.int8)
