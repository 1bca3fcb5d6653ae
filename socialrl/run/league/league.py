"""One league: a learner's frozen snapshots, the opponent drawn from them, and its ratings.

Every ``snapshot_every`` steps (and at the start) the learner's ``state_dict()`` is copied
and kept: a *snapshot*. The league opponent group is played, one period at a time, by a
fresh instance of the learner's class bound to the group's agents and loaded with the
snapshot drawn for that period (:mod:`~socialrl.run.league.fictitious_self_play`). The games
the learner plays against each snapshot during training are counted
(:mod:`~socialrl.run.league.games`): they are the win rates prioritised fictitious self-play
weighs by.

With ratings, every ``ratings.every`` steps (and at the start) the learner, frozen and
greedy, plays evaluation matches (:mod:`~socialrl.run.league.evaluation`) against the anchors
and its own earlier rated copies, and the results update openskill ratings
(:mod:`~socialrl.run.league.ratings`).

Seeds: the league's seed (spawned from the run's) gives the opponent draws one generator and
the evaluation matches another; the opponent's snapshots are bound with the seed the
population gave the league group. Training draws nothing from either.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from socialrl import registry
from socialrl.capabilities import GameModel, RulesPlanning
from socialrl.contract import MultiAgentModel, RoleStep
from socialrl.learners.base import Learner
from socialrl.run.league.evaluation import Arena, Entrant, copy_state, play_match
from socialrl.run.league.fictitious_self_play import (
    choose_snapshot,
    pfsp_weights,
    win_probability,
)
from socialrl.run.league.games import PairedGames
from socialrl.run.league.opponent import LeagueOpponent
from socialrl.run.league.ratings import RatingPool
from socialrl.run.league.settings import AnchorSettings, LeagueSettings, RatingSettings

__all__ = ["League", "Seat", "Snapshot"]


@dataclass(frozen=True)
class Seat:
    """A group of the bound population: its index, name, role, player and agent slots."""

    index: int
    name: str
    role: str
    player: Learner
    slots: np.ndarray


@dataclass
class Snapshot:
    """A frozen copy of the learner, and how it fared against the learner in training.

    Attributes:
        step: The step it was taken at.
        state: The learner's ``state_dict()`` then (a deep copy).
        periods: Snapshot periods it played the opponent's agents (a draw at the run's last
            step plays none).
        record: The learner's wins, draws and losses against it.

    """

    step: int
    state: dict[str, np.ndarray]
    periods: int = 0
    record: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))


class League:
    """The league of one learning group (``learner``) and its opponent group (``opponent``).

    Args:
        learner: The learning group.
        opponent: The league opponent group.
        template: A fresh, unbound instance of the learner's class and hyperparameters.
        world: The training model (for the game's rules, where the learner plans with them).
        arena: The world evaluation matches are played in (its ``steps``: the match length).
        others: Entrants for the population's other groups, frozen as they are now.
        seed: The league's seed.

    """

    def __init__(
        self,
        learner: Seat,
        opponent: Seat,
        template: Learner,
        world: MultiAgentModel,
        arena: Arena,
        others: Callable[[set[int]], dict[int, Entrant]],
        seed: np.random.SeedSequence,
    ) -> None:
        self.learner, self.opponent, self.template = learner, opponent, template
        self.arena, self.others = arena, others
        player = opponent.player
        assert isinstance(player, LeagueOpponent)
        self.league_opponent: LeagueOpponent = player
        self.settings: LeagueSettings = player.settings
        choice_seed, self.match_seeds = seed.spawn(2)
        self.rng = np.random.default_rng(choice_seed)
        self.driver = self._fresh(opponent, world)
        self.snapshots: list[Snapshot] = []
        self.games = PairedGames(learner.slots, opponent.slots, fresh=True)
        self.pool = RatingPool()
        self.past: list[tuple[str, dict[str, np.ndarray]]] = []
        self.rated: list[pd.DataFrame] = []
        self.matches: list[dict[str, object]] = []
        self._started = False

    def begin(self) -> None:
        """Take the first snapshot (the learner as it starts) and let it play."""
        self._take(0)
        self._choose()

    @property
    def ratings(self) -> RatingSettings | None:
        """The league's rating settings (None: no ratings)."""
        return self.settings.ratings

    def _fresh(self, seat: Seat, world: MultiAgentModel) -> Learner:
        """A fresh learner of the learner's class bound to ``seat``'s agents (the driver)."""
        learner = copy.deepcopy(self.template)
        player = seat.player
        assert isinstance(player, LeagueOpponent)
        assert player.observation_space is not None and player.action_space is not None
        learner.bind(seat.slots.size, player.observation_space, player.action_space, player.seed)
        if isinstance(learner, RulesPlanning) and isinstance(world, GameModel):
            learner.use_rules(world.game_rules(seat.role))
        return learner

    # ------------------------------------------------------------------ training
    def after_step(self, t: int, outcome: dict[str, RoleStep]) -> None:
        """Count the step's games; snapshot, draw the next opponent and rate on boundaries."""
        if not self._started:  # the period's first step: the snapshot now plays
            self.snapshots[self.league_opponent.snapshot].periods += 1
            self._started = True
        out = outcome[self.learner.role]
        self.games.add(out.reward, out.terminated | out.truncated)
        if t % self.settings.snapshot_every == 0:
            self._credit()
            self._take(t)
            self._choose()
        if self.ratings is not None and t % self.ratings.every == 0:
            self.rate(t)

    def _credit(self) -> None:
        """Book the closed window's games to the snapshot that played them."""
        results = self.games.close(fresh=False)
        playing = self.snapshots[self.league_opponent.snapshot]
        playing.record += [int((results == r).sum()) for r in (1, 0, -1)]

    def _take(self, t: int) -> None:
        """Keep a frozen copy of the learner as it is at step ``t``."""
        self.snapshots.append(Snapshot(t, copy_state(self.learner.player.state_dict())))

    def win_probabilities(self) -> np.ndarray:
        """The learner's estimated chance to beat each snapshot (Laplace, draws half)."""
        record = np.array([s.record for s in self.snapshots]).reshape(-1, 3)
        return win_probability(record[:, 0], record[:, 1], record.sum(axis=1))

    def _choose(self) -> None:
        """Draw the next period's snapshot and hand it to the opponent group."""
        j = choose_snapshot(self.settings.choose, self.win_probabilities(), self.rng)
        chosen = self.snapshots[j]
        self._started = False
        self.driver.load_state_dict(copy_state(chosen.state))
        self.league_opponent.drive(self.driver, j, chosen.step, len(self.snapshots))

    def playing_state(self) -> dict[str, np.ndarray]:
        """The state of the snapshot playing now."""
        return self.snapshots[self.league_opponent.snapshot].state

    # ------------------------------------------------------------------ ratings
    def rate(self, t: int) -> None:
        """Rate the learner as it is at step ``t`` against the anchors and its past."""
        ratings = self.ratings
        assert ratings is not None
        seed = self.match_seeds.spawn(1)[0]  # one seed per rating step, the same per match
        anchors = {a.label: a for a in ratings.anchors}
        for label in anchors:
            self.pool.enter(label, "anchor")
        if not self.rated:
            self._calibrate(t, list(anchors.values()), seed)
        current = f"learner@{t}"
        state = copy_state(self.learner.player.state_dict())
        self.pool.enter(current, "past")
        me = Entrant.frozen(current, self.template, state)
        for label, anchor in anchors.items():
            self._play(t, me, Entrant(label, _anchor_builder(anchor.learner, anchor.params)), seed)
        for name, past_state in self.past:  # the latest `past` rated copies, oldest first
            self._play(t, me, Entrant.frozen(name, self.template, past_state), seed)
        if ratings.past:
            self.past = [*self.past, (current, state)][-ratings.past :]
        self.rated.append(self.pool.rows(self.learner.name, t, current))

    def _calibrate(
        self, t: int, anchors: list[AnchorSettings], seed: np.random.SeedSequence
    ) -> None:
        """Anchors play each other once, so that their ratings start apart."""
        for i, first in enumerate(anchors):
            for second in anchors[i + 1 :]:
                a = Entrant(first.label, _anchor_builder(first.learner, first.params))
                b = Entrant(second.label, _anchor_builder(second.learner, second.params))
                self._play(t, a, b, seed)

    def _play(self, t: int, mine: Entrant, theirs: Entrant, seed: np.random.SeedSequence) -> None:
        """A match of ``mine`` (on the learner's agents) against ``theirs``, rated and kept."""
        pair = (self.learner.index, self.opponent.index)
        entrants = self.others(set(pair))
        entrants[pair[0]], entrants[pair[1]] = mine, theirs
        ordered = [entrants[k] for k in range(len(self.arena.groups))]
        results = play_match(self.arena, ordered, pair, seed)
        self.pool.play(mine.name, theirs.name, results)
        shown = "learner" if mine.name == f"learner@{t}" else mine.name
        won, drawn, lost = (int((results == r).sum()) for r in (1, 0, -1))
        self.matches.append(
            {"group": self.learner.name, "step": t, "player": shown, "opponent": theirs.name,
             "games": int(results.size), "wins": won, "draws": drawn, "losses": lost}
        )  # fmt: skip

    # ------------------------------------------------------------------ tables
    def league_table(self) -> pd.DataFrame:
        """One row per snapshot: when taken, periods played, the learner's record against it."""
        self._credit()
        record = np.array([s.record for s in self.snapshots]).reshape(-1, 3)
        p = self.win_probabilities()
        return pd.DataFrame(
            {
                "group": self.opponent.name,
                "learner": self.learner.name,
                "snapshot": np.arange(len(self.snapshots), dtype=np.int64),
                "step": np.array([s.step for s in self.snapshots], dtype=np.int64),
                "periods": np.array([s.periods for s in self.snapshots], dtype=np.int64),
                "games": record.sum(axis=1),
                "wins": record[:, 0],
                "draws": record[:, 1],
                "losses": record[:, 2],
                "p_win": p,
                "pfsp_weight": pfsp_weights(p),
            }
        )


def _anchor_builder(name: str, params: dict[str, object]) -> Callable[[], Learner]:
    """A function that builds a fresh anchor (a registered learner or strategy)."""
    return lambda: registry.make_learner(name, params)
