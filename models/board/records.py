"""The record of every finished game of a board model, and the tables made from it.

The model appends each game that ends — who won, after how many plies, with which moves — to
a :class:`GameLog` (arrays that double when full: a long run finishes hundreds of thousands of
games). At the end of a run the log becomes two tables:

- ``games``: one row per game played — ``game`` (the board it was played at), ``episode``
  (its number at that board), ``end_step``, ``length`` (plies), ``winner`` (the seat, −1 for
  none), ``outcome`` (``first``, ``second``, ``draw``, or ``unfinished`` where a time limit cut
  it) and ``moves`` (the moves as played, space-separated: cells, or columns with gravity);
- ``replays``: the last few games of every board move by move — ``game``, ``episode``,
  ``ply``, ``seat``, ``stone`` (``X`` moves first), ``move``, the ``row`` and ``col`` it took
  (with gravity: where it fell), ``outcome`` and ``winner`` — what the app's replay view
  steps through.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .rules import DRAW, FIRST_WON, SECOND_WON, KInARow

__all__ = ["OUTCOMES", "GameLog", "winner_seat"]

#: A finished game's outcome by its final status (0: cut by a time limit while playing).
OUTCOMES = {0: "unfinished", FIRST_WON: "first", SECOND_WON: "second", DRAW: "draw"}


def winner_seat(status: np.ndarray, first: int = 0) -> np.ndarray:
    """The winning seat of each final status, −1 for a draw or an unfinished game.

    ``first`` is the seat that moved first (the rules' player 0).
    """
    return np.where(status == FIRST_WON, first, np.where(status == SECOND_WON, 1 - first, -1))


class GameLog:
    """Finished games in the order they ended, held in arrays that grow by doubling.

    Args:
        max_length: The longest game (plies): the board's cell count.

    """

    game: np.ndarray
    episode: np.ndarray
    end_step: np.ndarray
    length: np.ndarray
    status: np.ndarray
    moves: np.ndarray

    def __init__(self, max_length: int) -> None:
        self.max_length = int(max_length)
        self.count = 0
        self._allocate(256)

    def _allocate(self, capacity: int) -> None:
        """Arrays for ``capacity`` games, keeping those recorded so far."""
        old = self.count
        fields = {
            "game": np.int64,
            "episode": np.int64,
            "end_step": np.int64,
            "length": np.int64,
            "status": np.int8,
        }
        grown = {name: np.zeros(capacity, dtype=dtype) for name, dtype in fields.items()}
        moves = np.full((capacity, self.max_length), -1, dtype=np.int16)
        if old:
            for name in fields:
                grown[name][:old] = getattr(self, name)[:old]
            moves[:old] = self.moves[:old]
        self.game, self.episode = grown["game"], grown["episode"]
        self.end_step, self.length = grown["end_step"], grown["length"]
        self.status, self.moves = grown["status"], moves

    def add(
        self,
        games: np.ndarray,
        episodes: np.ndarray,
        end_step: int,
        lengths: np.ndarray,
        statuses: np.ndarray,
        moves: np.ndarray,
    ) -> None:
        """Record games that ended at ``end_step`` (their moves ``[g, max_length]``, −1 after)."""
        count = games.size
        if self.count + count > self.game.size:
            self._allocate(max(2 * self.game.size, self.count + count))
        rows = slice(self.count, self.count + count)
        self.game[rows], self.episode[rows], self.end_step[rows] = games, episodes, end_step
        self.length[rows], self.status[rows], self.moves[rows] = lengths, statuses, moves
        self.count += count

    def recent_statuses(self, window: int) -> np.ndarray:
        """The final statuses of the last ``window`` games that ended (fewer at first)."""
        return self.status[max(0, self.count - window) : self.count]

    def recent_lengths(self, window: int) -> np.ndarray:
        """The lengths of the last ``window`` games that ended."""
        return self.length[max(0, self.count - window) : self.count]

    def games_table(self, first: int = 0) -> pd.DataFrame:
        """The ``games`` table (module docstring): one row per finished game.

        ``first`` is the seat that moved first: ``winner`` is a seat, ``outcome`` says whether
        the first or the second mover won.
        """
        n = self.count
        status = self.status[:n].astype(np.int64)
        return pd.DataFrame(
            {
                "game": self.game[:n],
                "episode": self.episode[:n],
                "end_step": self.end_step[:n],
                "length": self.length[:n],
                "winner": winner_seat(status, first),
                "outcome": pd.Categorical([OUTCOMES[int(s)] for s in status]),
                "moves": [
                    " ".join(map(str, row[:length].tolist()))
                    for row, length in zip(self.moves[:n], self.length[:n], strict=True)
                ],
            }
        )

    def replays_table(self, rules: KInARow, keep: int, first: int = 0) -> pd.DataFrame:
        """The ``replays`` table: the last ``keep`` games of every board, ply by ply.

        The cells come from replaying the moves through the rules (with gravity a move names
        a column; where the stone fell depends on the column's stones below). The first mover
        (seat ``first``) plays the even plies, with the ``X`` stones.
        """
        n = self.count
        frame = pd.DataFrame({"game": self.game[:n], "row": np.arange(n)})
        picked = frame.groupby("game").tail(keep)["row"].to_numpy()
        picked = picked[np.lexsort((self.episode[picked], self.game[picked]))]
        lengths, moves = self.length[picked], self.moves[picked].astype(np.int64)
        cells = np.full(moves.shape, -1, dtype=np.int64)
        states = rules.initial(picked.size)
        for ply in range(int(lengths.max()) if picked.size else 0):
            live = np.flatnonzero(lengths > ply)
            cells[live, ply] = rules.landing_cells(states[live], moves[live, ply])
            states[live] = rules.play(states[live], moves[live, ply])
        game_of, plies = np.nonzero(np.arange(moves.shape[1])[None, :] < lengths[:, None])
        status = self.status[picked].astype(np.int64)
        return pd.DataFrame(
            {
                "game": self.game[picked][game_of],
                "episode": self.episode[picked][game_of],
                "ply": plies,
                "seat": (plies % 2) ^ first,
                "stone": np.where(plies % 2 == 0, "X", "O"),
                "move": moves[game_of, plies],
                "row": cells[game_of, plies] // rules.n,
                "col": cells[game_of, plies] % rules.n,
                "outcome": [OUTCOMES[int(s)] for s in status[game_of]],
                "winner": winner_seat(status, first)[game_of],
            }
        )
