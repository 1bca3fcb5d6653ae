"""Alternating-offers bargaining (Rubinstein 1982; the ultimatum game), as one Mesa model.

Description:
    ``n_games`` independent bargaining games over a pie of ``pie`` units, all advancing in
    lockstep (:mod:`socialrl_models.bargaining.rules`): in round ``t`` player ``t mod 2``
    proposes to keep ``x`` units, the other accepts (the game ends: discounted shares
    ``δ_p^t x/N`` and ``δ_r^t (N − x)/N``) or rejects (the roles swap next round; a rejection
    in the last round ``horizon − 1`` ends in disagreement, 0 for both). ``horizon = 1`` is the
    ultimatum game. One step is one move in every game that is still on: the player to move in
    each game moves (:meth:`moved`); games restart one by one as they end (autoreset).

Action Space:
    ``Discrete(pie + 3)`` per player: ``0 … pie`` propose to keep that many units,
    ``pie + 1`` accept, ``pie + 2`` reject. :meth:`legal_actions` says which apply: a proposer
    only proposes, a responder only answers, a player whose turn it is not has no move (its
    action is ignored). A forced illegal move is refused by :meth:`set_actions`, with
    :class:`~socialrl.games.IllegalMove`, before anything changes.

Observation Space:
    ``observation="position"`` (default): the game's position, the same ``int64`` row for
    both players — round, phase, offer, mover, status (:data:`~.rules.COLUMNS`) — in a
    ``Box``; the rules (:meth:`game_rules`) read it, so a planner searches from what it sees.
    ``observation="state"``: the position as one state index, ``Discrete(T (N + 2) + 1)``
    (:meth:`~.rules.AlternatingOffers.state_index`), for tabular learners.

Rewards:
    The final payoffs, for both players, at the step the game ends; 0 otherwise. A learner
    learns from its own moves only, over the steps until its next move or the end
    (:mod:`socialrl.turns`).

Episode End:
    Terminated at agreement or disagreement (at most ``2 · horizon`` steps). With
    ``max_episode_steps`` a game still on after that many steps is truncated.

Arguments:
    See :class:`BargainingModel`.

"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import gymnasium as gym
import mesa
import numpy as np
import pandas as pd

from socialrl.contract import RoleStep, episode_limit
from socialrl.games import check_legal, movers_moves, seat_rows
from socialrl.single_role import SessionBatch

from .agents import Bargainer
from .final_tables import greedy_games
from .rules import AGREED, MOVER, PHASE, PROPOSING, ROUND, STATUS, AlternatingOffers, as_deltas

__all__ = ["OBSERVATIONS", "ROLE", "BargainingModel"]

ROLE = "player"
#: What a player observes: the position row, or its state index.
OBSERVATIONS = ("position", "state")


class BargainingModel(SessionBatch[Bargainer], mesa.Model):
    """``n_games`` bargaining games between two players each (role ``player``).

    Agent ``2g + s`` is player ``s`` of game ``g`` (player 0 opens).

    Args:
        n_games: Independent games (sessions), ≥ 1.
        pie: Units of the pie ``N ≥ 1``.
        delta: A common discount factor per round, or one per player ``(δ₀, δ₁)``; in (0, 1].
        horizon: Rounds ``T ≥ 1`` (1: the ultimatum game).
        observation: ``"position"`` or ``"state"`` (see the module docstring).
        max_episode_steps: Steps after which a game still on is truncated (None: never).
        autoreset: A finished game restarts within the step; with False it stays finished.
        rng: Seed or ``numpy.random.Generator`` (the rules are deterministic: nothing is
            drawn; kept for the contract).

    Raises:
        ValueError: naming the parameter, its value and what is allowed.

    """

    render_modes: ClassVar[list[str]] = ["ansi"]

    def __init__(
        self,
        n_games: int = 1,
        pie: int = 10,
        delta: float | Sequence[float] = 0.9,
        horizon: int = 1,
        observation: str = "position",
        max_episode_steps: int | None = None,
        autoreset: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        if isinstance(n_games, bool) or int(n_games) != n_games or n_games < 1:
            raise ValueError(f"n_games must be a whole number ≥ 1, got {n_games!r}")
        if observation not in OBSERVATIONS:
            raise ValueError(
                f"observation must be one of {', '.join(map(repr, OBSERVATIONS))}, "
                f"got {observation!r}"
            )
        self.rules = AlternatingOffers(pie=pie, delta=as_deltas(delta), horizon=horizon)
        self.observation = observation
        self.max_episode_steps = episode_limit(max_episode_steps)
        self.autoreset = bool(autoreset)
        self.n_games = G = int(n_games)
        self.states = self.rules.initial(G)
        self.init_sessions(G, 2)
        self.episode_steps = np.zeros(G, dtype=np.int64)
        self.steps_taken = 0
        self._opening = np.full(G, -1, dtype=np.int64)  # this game's first proposal
        self._last = _LastGames(G)
        self._moved = np.zeros(2 * G, dtype=bool)
        self._never = np.zeros(2 * G, dtype=bool)
        self._never.flags.writeable = False
        self.players = [Bargainer(self, 2 * g + s, g, s) for g in range(G) for s in range(2)]
        self.declare_role(ROLE, self.players, self._observation_space(), self._action_space())

    def _observation_space(self) -> gym.Space[Any]:
        if self.observation == "state":
            return gym.spaces.Discrete(self.rules.n_states())
        low, high = self.rules.position_bounds()
        return gym.spaces.Box(low, high, shape=low.shape, dtype=np.int64)

    def _action_space(self) -> gym.spaces.Discrete:
        return gym.spaces.Discrete(self.rules.n_actions())

    # ------------------------------------------------------------------ contract
    def observe(self, role: str = ROLE) -> np.ndarray:
        """Both players of each game observe its position (or its state index)."""
        self._check_role(role)
        return self._as_observation(self.states)

    def _as_observation(self, states: np.ndarray) -> np.ndarray:
        if self.observation == "state":
            return np.repeat(self.rules.state_index(states), 2)
        return np.repeat(states, 2, axis=0)

    def legal_actions(self, role: str = ROLE) -> np.ndarray:
        """``bool[2G, pie + 3]``: the mover of each game still on has its legal moves."""
        self._check_role(role)
        return seat_rows(self.rules.legal(self.states), self._mover_seats(), self._live())

    def game_rules(self, role: str = ROLE) -> AlternatingOffers:
        """The rules; a planner needs positions to plan from (``observation="position"``)."""
        self._check_role(role)
        if self.observation != "position":
            raise ValueError(
                "observation='state' hides the positions that a planner searches from; "
                "use observation='position' with rule-planning learners (bargaining_spe, mcts)"
            )
        return self.rules

    def moved(self, role: str = ROLE) -> np.ndarray:
        """Whose move the last step applied: the mover of each game that was on."""
        self._check_role(role)
        return self._moved

    def _live(self) -> np.ndarray:
        """Games being played now."""
        return self._sessions_active & self._episode_active & ~self.rules.terminal(self.states)

    def _mover_seats(self) -> np.ndarray:
        """The seat to move in each game, ``int64[G]`` (0 where a game is over)."""
        return np.maximum(self.states[:, MOVER], 0)

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        """Store the actions of the next step; refuse an illegal move of a mover at once.

        The check is made here, not in ``step()``: nothing has changed yet, and Mesa ≥ 3.5
        runs ``step()`` as a scheduled event that is not rescheduled after it raises (a model
        whose step raised would silently never step again).

        Raises:
            IllegalMove: naming the game and its legal moves (one line).

        """
        self._check_role(role)
        moves = movers_moves(actions, self._mover_seats())
        check_legal(self.rules.legal(self.states), moves, self._live(), "bargaining game")
        self._actions = actions

    def step(self) -> None:
        """One move in every game still on; games that end pay out (and restart)."""
        G, rules = self.n_games, self.rules
        live = self._live()
        mover = self._mover_seats()
        moves = movers_moves(self._actions, mover)
        opening = live & (self.states[:, ROUND] == 0) & (self.states[:, PHASE] == PROPOSING)
        self._opening[opening] = moves[opening]
        after = self.states.copy()
        after[live] = rules.play(self.states[live], moves[live])
        self._moved = seat_rows(np.ones(G, dtype=bool), mover, live)
        ended = live & rules.terminal(after)
        payoffs = np.zeros((G, 2))
        payoffs[ended] = rules.payoffs(after[ended])
        self._last.record(ended, after, self._opening, payoffs)
        truncated_games = np.zeros(G, dtype=bool)
        if self.max_episode_steps is not None:
            self.episode_steps += live
            truncated_games = live & ~ended & (self.episode_steps >= self.max_episode_steps)
        self.states = after
        next_obs = obs = self._as_observation(after)
        finished = ended | truncated_games
        if finished.any():
            if self.autoreset:
                self.states = after.copy()
                self.states[finished] = rules.initial(int(finished.sum()))
                self._opening[finished] = -1
                obs = self._as_observation(self.states)
            else:
                self._episode_active &= ~finished
            self.episode_steps[finished] = 0
        terminated = np.repeat(ended, 2) if ended.any() else self._never
        truncated = np.repeat(truncated_games, 2) if truncated_games.any() else self._never
        self._outcome = RoleStep(obs, payoffs.ravel(), terminated, truncated, next_obs)
        self.steps_taken += 1

    # ------------------------------------------------------------------ reporters
    def last_payoffs(self) -> np.ndarray:
        """``float64[G, 2]``: each game's payoffs in its last finished game (NaN before)."""
        return self._last.payoffs

    def metrics(self) -> dict[str, float]:
        """Over each game's last finished bargain: agreements, first offers, rounds taken.

        ``agreement_share``, ``first_offer_mean`` (units the opener proposed to keep),
        ``end_round_mean`` (the round it ended in), ``payoff_0_mean``/``payoff_1_mean``, and
        ``games_finished`` (all games ended so far, in all slots). NaN until a game ends.
        """
        return self._last.metrics()

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Per player: game, seat, last payoff, whether its game is on."""
        self._check_role(role)
        return {
            "game": np.repeat(np.arange(self.n_games), 2),
            "seat": np.tile(np.arange(2), self.n_games),
            "payoff": self._last.payoffs.ravel(),
            "playing": self.active(role),
        }

    def final_tables(self, population: Any) -> dict[str, pd.DataFrame]:
        """``agreements``: one greedy game per game slot, as the players learned to bargain.

        Every game is replayed from the start with the population's greedy moves (no
        exploration, no learning): the opening offer, whether and when they agreed, the
        split and payoffs, the round-0 responder's greedy answers to every offer, and the
        subgame-perfect offer to compare with (:mod:`.final_tables`).
        """
        return {"agreements": greedy_games(self, population)}

    @contextmanager
    def showing(self, states: np.ndarray) -> Iterator[None]:
        """Show the players ``states`` (every game on) while the block runs; then restore.

        How the end-of-run tables ask a population for its greedy moves at positions of
        their choosing: the population reads the legal moves from the model.
        """
        saved = (self.states, self._sessions_active, self._episode_active)
        self.states = np.asarray(states, dtype=np.int64)
        self._sessions_active = np.ones(self.n_games, dtype=bool)
        self._episode_active = np.ones(self.n_games, dtype=bool)
        try:
            yield
        finally:
            self.states, self._sessions_active, self._episode_active = saved

    def render_text(self) -> str:
        """Each game's position in words, one line per game (at most 20)."""
        return "\n".join(
            f"game {g}: {self.rules.describe(state)}" for g, state in enumerate(self.states[:20])
        )


class _LastGames:
    """What each game slot's last finished game came to (the ``steps`` table's reporters)."""

    def __init__(self, n_games: int) -> None:
        self.first_offer = np.full(n_games, np.nan)
        self.agreed = np.zeros(n_games, dtype=bool)
        self.end_round = np.full(n_games, np.nan)
        self.payoffs = np.full((n_games, 2), np.nan)
        self.finished = 0

    def record(
        self,
        ended: np.ndarray,
        states: np.ndarray,
        opening: np.ndarray,
        payoffs: np.ndarray,
    ) -> None:
        """Book the games that ended this step."""
        if not ended.any():
            return
        self.first_offer[ended] = opening[ended]
        self.agreed[ended] = states[ended, STATUS] == AGREED
        self.end_round[ended] = states[ended, ROUND]
        self.payoffs[ended] = payoffs[ended]
        self.finished += int(ended.sum())

    def metrics(self) -> dict[str, float]:
        seen = ~np.isnan(self.end_round)
        if not seen.any():
            nan = float("nan")
            return {
                "agreement_share": nan,
                "first_offer_mean": nan,
                "end_round_mean": nan,
                "payoff_0_mean": nan,
                "payoff_1_mean": nan,
                "games_finished": 0.0,
            }
        return {
            "agreement_share": float(self.agreed[seen].mean()),
            "first_offer_mean": float(self.first_offer[seen].mean()),
            "end_round_mean": float(self.end_round[seen].mean()),
            "payoff_0_mean": float(self.payoffs[seen, 0].mean()),
            "payoff_1_mean": float(self.payoffs[seen, 1].mean()),
            "games_finished": float(self.finished),
        }
