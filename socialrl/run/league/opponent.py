"""The league opponent: a population group driven by frozen snapshots of another group's learner.

It is placed in a population like any fixed policy: it learns nothing, and the population
binds it to its agents. What it plays is handed to it by the run's league
(:mod:`socialrl.run.league.league`): a fresh instance of the learning group's class, bound to
this group's agents, loaded with the snapshot drawn for the current period. A study declares
it on a population group, ``league = { of = "learner", snapshot_every = 1000 }``
(:mod:`socialrl.study.spec`); a script builds it::

    Population([
        Group(QLearning(shared=True), agents={"side": 0}, name="learner"),
        Group(LeagueOpponent(of="learner", snapshot_every=1000, choose="prioritised"),
              agents={"side": 1}, name="past"),
    ])
"""

from __future__ import annotations

from typing import Any, cast

import gymnasium as gym
import numpy as np

from socialrl import registry
from socialrl.capabilities import MaskedActing
from socialrl.learners.base import Learner
from socialrl.run.league.settings import LeagueSettings, RatingSettings, league_settings

__all__ = ["LeagueOpponent"]


class LeagueOpponent:
    """Agents played by frozen snapshots of the learner of group ``of``.

    Args:
        of: The learning group (its name in the population).
        snapshot_every: Steps between snapshots; a new opponent is drawn after each.
        choose: ``"latest"``, ``"uniform"`` (fictitious self-play) or ``"prioritised"``
            (PFSP); see :class:`~socialrl.run.league.settings.LeagueSettings`.
        play: ``"greedy"`` or ``"explore"``: how the snapshots act.
        ratings: Ratings over training
            (:class:`~socialrl.run.league.settings.RatingSettings` or its fields as a table).

    """

    name = "league"
    learns = False

    def __init__(
        self,
        of: str,
        snapshot_every: int,
        choose: str = "uniform",
        play: str = "greedy",
        ratings: RatingSettings | dict[str, Any] | None = None,
    ) -> None:
        self.settings: LeagueSettings = league_settings(
            of=of, snapshot_every=snapshot_every, choose=choose, play=play, ratings=ratings
        )
        _check_anchors(self.settings.ratings)
        self.n_agents = 0
        self.observation_space: gym.Space[Any] | None = None
        self.action_space: gym.spaces.Discrete | None = None
        self.seed = np.random.SeedSequence(0)
        self._driver: Learner | None = None
        self._snapshot = -1
        self._taken_at = -1
        self._snapshots = 0

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Remember the group's size, spaces and seed; no snapshot drives it yet."""
        self.n_agents = int(n_agents)
        self.observation_space, self.action_space = observation_space, action_space
        self.seed = seed
        self._driver = None
        self._snapshot = self._taken_at = -1
        self._snapshots = 0

    def drive(self, learner: Learner, snapshot: int, taken_at: int, snapshots: int) -> None:
        """Play from now on with ``learner`` (snapshot ``snapshot``, taken at step ``taken_at``).

        Called by the league at the start of every snapshot period.
        """
        self._driver = learner
        self._snapshot, self._taken_at, self._snapshots = snapshot, taken_at, snapshots

    @property
    def snapshot(self) -> int:
        """The index of the snapshot playing now (−1: none yet)."""
        return self._snapshot

    def _playing(self) -> Learner:
        if self._driver is None:
            raise RuntimeError(
                f"this league opponent has no snapshot to play: it plays inside a run whose "
                f"population has the group it names (of = {self.settings.of!r})"
            )
        return self._driver

    def act(self, obs: np.ndarray) -> np.ndarray:
        """The snapshot's actions (exploring only with ``play = "explore"``)."""
        driver = self._playing()
        return driver.act(obs) if self.settings.play == "explore" else driver.greedy(obs)

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The snapshot's greedy actions."""
        return self._playing().greedy(obs)

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """As :meth:`act`, among the legal moves."""
        driver = self._masked()
        if self.settings.play == "explore":
            return driver.act_masked(obs, legal)
        return driver.greedy_masked(obs, legal)

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """As :meth:`greedy`, among the legal moves."""
        return self._masked().greedy_masked(obs, legal)

    def _masked(self) -> MaskedActing:
        driver = self._playing()
        if not isinstance(driver, MaskedActing):
            raise ValueError(
                f"snapshots of {type(driver).__name__} cannot choose among legal moves only"
            )
        return cast(MaskedActing, driver)

    def learn(self, *args: Any, **kwargs: Any) -> None:
        """A league opponent does not learn: its snapshots are frozen."""

    def diagnostics(self) -> dict[str, float]:
        """The step the playing snapshot was taken at, and how many there are so far."""
        return {"snapshot_step": float(self._taken_at), "snapshots": float(self._snapshots)}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Which snapshot plays (the snapshots themselves live in the run's league)."""
        return {
            "snapshot": np.array([self._snapshot, self._taken_at, self._snapshots], dtype=np.int64)
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict`'s counters (the league hands over the snapshot itself)."""
        self._snapshot, self._taken_at, self._snapshots = (int(v) for v in state["snapshot"])

    def __repr__(self) -> str:
        s = self.settings
        rated = "" if s.ratings is None else f", rate_every={s.ratings.every}"
        return (
            f"LeagueOpponent(of={s.of!r}, snapshot_every={s.snapshot_every}, "
            f"choose={s.choose!r}, play={s.play!r}{rated})"
        )


def _check_anchors(ratings: RatingSettings | None) -> None:
    """Build every anchor once, so that a wrong name or parameter is said before the run."""
    for k, anchor in enumerate(ratings.anchors if ratings is not None else ()):
        try:
            registry.make_learner(anchor.learner, anchor.params)
        except KeyError as err:
            raise ValueError(f"league ratings.anchors[{k}].learner: {err.args[0]}") from None
        except (TypeError, ValueError) as err:
            raise ValueError(f"league ratings.anchors[{k}].params: {err}") from None
