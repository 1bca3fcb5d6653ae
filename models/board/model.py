"""Many k-in-a-row board games at once, as one Mesa model (tic-tac-toe, small Connect Four).

Description:
    ``n_games`` independent games of the m × n, k-in-a-row family (:mod:`.rules`): two players
    place stones in turn — on any empty cell, or with ``gravity`` in a column where the stone
    drops — and the first with ``k`` in a row, column or diagonal wins; a full board is a
    draw. Seat ``first`` (0 by default) moves first in every game, with the ``X`` stones (1
    in a position row). A step plays one move in every live game: the
    player to move there moves, the other waits (:meth:`moved`). The games' exact values and
    optimal moves are known where the board is small (:mod:`.theory`).

Action Space:
    ``Discrete(A)``, one action set for every player: a cell ``r·n + c`` (``A = m·n``), or
    with gravity a column (``A = n``). :meth:`legal_actions` masks it — empty cells, columns
    with room, and nothing for a player who waits — and a forced illegal move is refused with
    :class:`~socialrl.games.IllegalMove` before anything changes.

Observation Space:
    The position row of the player's game (the same row for both seats: it says who moves):
    ``Box(0, high, (m·n + 2,), int64)`` — the cells (0 empty, 1 the first mover's stone, 2
    the second's), the player to move (0 the first mover), the status (:mod:`.rules`).
    Planners simulate from it with the rules (:meth:`game_rules`).

Rewards:
    At the step a game ends, +1 to its winner and −1 to its loser (0 each in a draw); 0 at
    every other step. A learner learns from its own moves, from one to its next
    (:mod:`socialrl.turns`).

Episode End:
    A game ends (``terminated`` for both seats) when someone completes a line or the board is
    full. With ``max_episode_steps`` a game is cut (``truncated``) after that many plies. With
    ``autoreset`` (default) a finished game restarts on an empty board within the step; without,
    it stays finished and its players turn inactive.

Arguments:
    See :class:`BoardGameModel`.

"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import mesa
import numpy as np
import pandas as pd

from socialrl.contract import RoleStep, episode_limit
from socialrl.games import check_legal, movers_moves, seat_rows
from socialrl.single_role import SessionBatch

from .agents import Player
from .records import GameLog
from .rules import DRAW, FIRST_WON, SECOND_WON, KInARow

__all__ = ["BoardGameModel"]

ROLE = "player"
#: The metrics' shares are over the last this many games that ended (a moving window, so that
#: a learning curve shows change rather than the whole run's average).
RECENT_GAMES = 1_000
#: The ``replays`` table keeps this many of the last games of every board.
REPLAYS_KEPT = 3
#: ``render_text`` draws at most this many boards.
RENDERED_GAMES = 6


class BoardGameModel(SessionBatch[Player], mesa.Model):
    """``n_games`` k-in-a-row games, two players each (role ``player``, 2·n_games agents).

    Args:
        n_games: Games played at once, ≥ 1; agent ``2g + s`` is seat ``s`` of game ``g``.
        m: Rows, 1 … 19.
        n: Columns, 1 … 19.
        k: Stones in a row that win, 1 … max(m, n).
        gravity: Connect-Four rules (a move names a column; the stone drops).
        first: The seat that moves first in every game, 0 or 1 (a study sweeps it to seat a
            group on either side: ``agents = { seat = 0 }`` opens, or answers).
        max_episode_steps: Plies after which a game is cut (None: games end by themselves,
            after at most m·n plies).
        autoreset: A finished game restarts within the step; with False it stays finished.
        rng: Seed or ``numpy.random.Generator`` (the rules are deterministic: Mesa's own).

    Raises:
        ValueError: naming the parameter, for any value outside its range.

    """

    render_modes: ClassVar[list[str]] = ["ansi"]

    def __init__(
        self,
        n_games: int = 1,
        m: int = 3,
        n: int = 3,
        k: int = 3,
        gravity: bool = False,
        first: int = 0,
        max_episode_steps: int | None = None,
        autoreset: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        if isinstance(n_games, bool) or not isinstance(n_games, int | np.integer) or n_games < 1:
            raise ValueError(f"n_games must be an integer ≥ 1, got {n_games!r}")
        self.rules = KInARow(m, n, k, gravity)
        if isinstance(first, bool) or first not in (0, 1):
            raise ValueError(f"first must be the seat 0 or 1 that moves first, got {first!r}")
        self.first = int(first)
        self.max_episode_steps = episode_limit(max_episode_steps)
        self.autoreset = bool(autoreset)
        self.n_games = G = int(n_games)
        self.positions = self.rules.initial(G)
        self.plies = np.zeros(G, dtype=np.int64)  # plies played in each game's current episode
        self.episodes = np.zeros(G, dtype=np.int64)  # episodes finished at each board
        self.history = np.full((G, self.rules.cells), -1, dtype=np.int16)  # this episode's moves
        self.log = GameLog(self.rules.cells)
        self.period = 0  # steps played (Mesa 4 drops model.steps: our own counter)
        self.init_sessions(G, 2)
        self._moved = np.zeros(2 * G, dtype=bool)
        self._rewards = np.zeros(2 * G)
        self._never = np.zeros(2 * G, dtype=bool)
        self._never.flags.writeable = False
        self.players = [Player(self, 2 * g + s, g, s) for g in range(G) for s in range(2)]
        high = np.array([2] * self.rules.cells + [1, DRAW], dtype=np.int64)
        observation = gym.spaces.Box(0, high, shape=(self.rules.size,), dtype=np.int64)
        self.declare_role(ROLE, self.players, observation, gym.spaces.Discrete(self.n_actions))

    @property
    def n_actions(self) -> int:
        """Moves per player: cells, or columns with gravity."""
        return self.rules.n_actions()

    # ------------------------------------------------------------------ contract
    def observe(self, role: str = ROLE) -> np.ndarray:
        """Every player's observation: its game's position row (``int64[2G, m·n + 2]``)."""
        self._check_role(role)
        return np.repeat(self.positions, 2, axis=0)

    def game_rules(self, role: str = ROLE) -> KInARow:
        """The rules every game follows (:class:`~socialrl.capabilities.GameModel`)."""
        self._check_role(role)
        return self.rules

    def _live(self) -> np.ndarray:
        """Games whose player to move moves in the next step."""
        return self._sessions_active & self._episode_active & ~self.rules.terminal(self.positions)

    def mover_seats(self) -> np.ndarray:
        """The seat to move in each game, ``int64[G]`` (player 0 of the rules is ``first``)."""
        return self.rules.to_move(self.positions) ^ self.first

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        """Store the next step's actions; refuse an illegal move of a mover at once.

        Checked here, before anything changes, not in ``step()``: Mesa ≥ 3.5 runs ``step()``
        as a scheduled event that is not rescheduled after it raises.

        Raises:
            IllegalMove: naming the game and its legal moves (one line).

        """
        self._check_role(role)
        moves = movers_moves(actions, self.mover_seats())
        check_legal(self.rules.legal(self.positions), moves, self._live(), "game")
        self._actions = actions

    def legal_actions(self, role: str = ROLE) -> np.ndarray:
        """``bool[2G, A]``: the mover's legal moves in each live game; none for the waiting."""
        self._check_role(role)
        return seat_rows(self.rules.legal(self.positions), self.mover_seats(), self._live())

    def moved(self, role: str = ROLE) -> np.ndarray:
        """Whose move the last step applied: the mover of each game that was live."""
        self._check_role(role)
        return self._moved

    def step(self) -> None:
        """One ply in every live game; finished games are recorded (and restarted)."""
        G, rules = self.n_games, self.rules
        live = self._live()
        chosen = movers_moves(self._actions, self.mover_seats())  # legal: checked by set_actions
        games = np.flatnonzero(live)
        after = self.positions.copy()
        after[games] = rules.play(self.positions[games], chosen[games])
        self.history[games, self.plies[games]] = chosen[games]
        self.plies[games] += 1
        ended = live & rules.terminal(after)
        cut = live & ~ended & self._out_of_time()
        self._moved = seat_rows(np.ones(G, dtype=bool), self.mover_seats(), live)
        by_seat = rules.payoffs(after)[:, [self.first, 1 - self.first]]  # seat s: player s ^ first
        self._rewards = (by_seat * ended[:, None]).ravel()
        next_obs = np.repeat(after, 2, axis=0)
        self.period += 1
        self._finish(after, ended | cut)
        self.positions = after
        self._outcome = RoleStep(
            self.observe(), self._rewards, np.repeat(ended, 2), np.repeat(cut, 2), next_obs
        )

    def _out_of_time(self) -> np.ndarray:
        """Games whose episode has reached the time limit (none without one)."""
        if self.max_episode_steps is None:
            return np.zeros(self.n_games, dtype=bool)
        return self.plies >= self.max_episode_steps

    def _finish(self, after: np.ndarray, finished: np.ndarray) -> None:
        """Record the games that ended; restart them (autoreset) or let them rest."""
        games = np.flatnonzero(finished)
        if games.size == 0:
            return
        status = after[games, self.rules.status_index]
        self.log.add(
            games, self.episodes[games], self.period, self.plies[games], status, self.history[games]
        )
        self.episodes[games] += 1
        if self.autoreset:
            after[games] = self.rules.initial(games.size)
            self.plies[games] = 0
            self.history[games] = -1
        else:
            self._episode_active[games] = False

    # ------------------------------------------------------------------ reporters
    def last_rewards(self) -> np.ndarray:
        """Every player's reward in the last step (``float64[2G]``)."""
        return self._rewards

    def metrics(self) -> dict[str, float]:
        """Games finished so far; outcome shares and mean length of the last 1,000 of them.

        The shares are NaN before any game has ended.
        """
        recent = self.log.recent_statuses(RECENT_GAMES)
        lengths = self.log.recent_lengths(RECENT_GAMES)
        if recent.size == 0:
            nan = float("nan")
            shares = {"first_win_share": nan, "second_win_share": nan, "draw_share": nan}
            return {"games_finished": 0.0, **shares, "game_length": nan}
        return {
            "games_finished": float(self.log.count),
            "first_win_share": float((recent == FIRST_WON).mean()),
            "second_win_share": float((recent == SECOND_WON).mean()),
            "draw_share": float((recent == DRAW).mean()),
            "game_length": float(lengths.mean()),
        }

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Per-player reporters: game, seat, whether it moves next, last reward, playing."""
        self._check_role(role)
        seats = np.tile(np.arange(2), self.n_games)
        return {
            "game": np.repeat(np.arange(self.n_games), 2),
            "seat": seats,
            "to_move": np.repeat(self.mover_seats(), 2) == seats,
            "reward": self._rewards,
            "playing": self.active(role),
        }

    def final_tables(self, population: Any = None) -> dict[str, pd.DataFrame]:
        """``games`` (every game played) and ``replays`` (the last 3 of each board).

        See :mod:`.records`; the population is not needed (the games are what was played).
        """
        return {
            "games": self.log.games_table(self.first),
            "replays": self.log.replays_table(self.rules, REPLAYS_KEPT, self.first),
        }

    def render_text(self) -> str:
        """The boards of the first few games, with who moves next or how the game ended."""
        states = {0: "{} to move", FIRST_WON: "X won", SECOND_WON: "O won", DRAW: "draw"}
        blocks = []
        for g, row in enumerate(self.positions[:RENDERED_GAMES]):
            status = int(row[self.rules.status_index])
            title = states[status].format("XO"[int(row[self.rules.to_move_index])])
            blocks.append(f"game {g} ({title}):\n{self.rules.to_text(row)}")
        return "\n\n".join(blocks)
