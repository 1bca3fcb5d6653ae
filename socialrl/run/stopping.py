"""When a run ends before its last step: episodes reached, policies stable, sessions ended.

Stability is Calvano et al.'s convergence rule: a learner's policy is stable for K steps when
every agent's greedy action in the states it visits has been unchanged for K consecutive
updates. Learners that can tell declare it (:class:`~socialrl.capabilities.StabilityTracking`);
fixed policies are trivially stable and do not count. In a model of independent sessions
(:class:`~socialrl.contract.SessionModel`) each session ends on its own once its agents are
stable, and the run ends when every session has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from socialrl.capabilities import StabilityTracking
from socialrl.contract import MultiAgentModel, SessionModel
from socialrl.population import Population
from socialrl.run.settings import RunSettings

__all__ = ["SessionStopping", "StabilityCounter", "Stopping", "stability_counters"]


class StabilityCounter(NamedTuple):
    """A learning group whose stability counts toward a stopping rule."""

    role: str
    slots: np.ndarray | None  # None: the whole role
    learner: StabilityTracking


def stability_counters(pop: Population) -> list[StabilityCounter]:
    """The stability counter of every learning group of a bound population.

    Raises:
        TypeError: for a learner that cannot report policy stability.
        ValueError: when no group learns.

    """
    counters = []
    for name, role, learner, idx in pop.bound_groups:
        if not learner.learns:
            continue  # fixed policies are trivially stable
        if not isinstance(learner, StabilityTracking):
            raise TypeError(f"group {name!r}: {learner!r} cannot report policy stability")
        counters.append(StabilityCounter(role, idx, learner))
    if not counters:
        raise ValueError("stop_when_stable needs at least one learner")
    return counters


def _stability_probe(pop: Population) -> Callable[[], int]:
    """A function giving the fewest consecutive stable steps over every learning agent."""
    learners = [counter.learner for counter in stability_counters(pop)]
    return lambda: min(int(learner.stable_steps().min()) for learner in learners)


class SessionStopping:
    """Ends each session of a :class:`~socialrl.contract.SessionModel` once it is stable.

    A session ends when every learning agent in it has kept its greedy action for ``window``
    consecutive periods; its agents then stop while the others go on. Without a window
    sessions never end early.
    """

    def __init__(self, model: Any, pop: Population, window: int | None) -> None:
        self.model, self.window = model, window
        self.counters: list[StabilityCounter] = []
        if window is None:
            return
        self.counters = stability_counters(pop)
        for counter in self.counters:
            counter.learner.stable_steps()  # counting starts now
        self.ids = {role: model.session_ids(role) for role in model.roles}
        self.n_sessions = int(model.sessions_active().shape[0])

    def update(self, t: int) -> bool:
        """End the sessions that became stable at step ``t``; True once none plays."""
        if self.window is None:
            return False
        least = np.full(self.n_sessions, np.iinfo(np.int64).max)
        for role, slots, learner in self.counters:
            ids = self.ids[role] if slots is None else self.ids[role][slots]
            np.minimum.at(least, ids, learner.stable_steps())
        ended = least >= self.window
        if ended.any():
            self.model.end_sessions(ended & self.model.sessions_active(), t)
        return not self.model.sessions_active().any()


class Stopping:
    """The stopping rules of one run, asked after every step of the step loop.

    Args:
        model: The bound model.
        pop: The bound population.
        settings: ``episodes`` and ``stop_when_stable`` are the rules.

    """

    def __init__(self, model: MultiAgentModel, pop: Population, settings: RunSettings) -> None:
        self.episodes, self.window = settings.episodes, settings.stop_when_stable
        self.sessions = (
            SessionStopping(model, pop, self.window) if isinstance(model, SessionModel) else None
        )
        whole_run = self.window is not None and self.sessions is None
        self.stability = _stability_probe(pop) if whole_run else None

    def reached(self, t: int, episodes_done: Callable[[], int]) -> bool:
        """Whether the run ends after step ``t`` (``episodes_done``: fewest episodes of an agent).

        A session model's stable sessions end here, one by one, as a side effect.
        """
        if self.episodes is not None and episodes_done() >= self.episodes:
            return True
        if self.stability is not None and self.stability() >= (self.window or 0):
            return True
        return self.sessions is not None and self.sessions.update(t)
