"""The run loop: observe → act → step → learn → record.

:func:`simulate` is one run of one model with one population, driven by one seed: a
``numpy.random.SeedSequence`` spawns the model's generator and every learner's, so the same
seed gives identical tables and different seeds give independent runs. How long the run lasts
and what it records is one typed :class:`~socialrl.run.settings.RunSettings`;
:func:`run_simulation` takes it as it is (a study's runs do), :func:`simulate` builds it from
keyword arguments (scripts do).

Where the model is a batch of repeated games driven by tabular Q-learners, the run plays many
periods per compiled call (:mod:`socialrl.run.repeated_game`) and the step loop is skipped;
the tables are the same.

Where a group is a league opponent (:class:`~socialrl.run.league.LeagueOpponent`), the run's
leagues (:mod:`socialrl.run.league`) snapshot its learner, draw the opponent of each period and
rate the learner, after every step; they add the ``league`` and ``ratings`` tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from socialrl.envs.batched import MultiAgentEnv
from socialrl.learners.base import Learner
from socialrl.population import Group, Population
from socialrl.results import Results
from socialrl.run.league import Leagues, prepare_leagues
from socialrl.run.recorder import Recorder, final_tables
from socialrl.run.repeated_game import SessionRunner, compiled_sessions
from socialrl.run.settings import RunSettings, run_settings
from socialrl.run.stopping import Stopping

__all__ = ["run_simulation", "simulate"]

PopulationLike = Population | Mapping[str, Learner] | list[Group] | Learner
Progress = Callable[[int], None]


def simulate(
    model: str | Callable[..., Any],
    params: Mapping[str, Any] | None = None,
    population: PopulationLike | None = None,
    *,
    steps: int | None = None,
    episodes: int | None = None,
    seed: int | np.random.SeedSequence = 0,
    record_every: int = 100,
    snapshot_every: int | None = None,
    learn: bool = True,
    stop_when_stable: int | None = None,
    progress: Progress | None = None,
    compiled: bool = True,
) -> Results:
    """Run a model with a population of learners and return tidy tables.

    Args:
        model: A registered model name (``"maze"``) or a model class.
        params: The model's parameters.
        population: Who drives the agents: a :class:`Population`, ``{role: learner}``, a list
            of :class:`Group`, or one learner for a single-role model.
        steps: Number of steps to run (with ``episodes``: a cap).
        episodes: Run until every agent has finished at least this many episodes.
        record_every: Write a ``steps`` row every this many steps (and after the last one).
        snapshot_every: Write per-agent ``agents`` rows every this many steps (and at the end).
        stop_when_stable: Stop once every learner's greedy policy has been stable for this many
            consecutive steps; sessions of a session model end one by one (see
            :class:`~socialrl.run.settings.RunSettings`).
        seed: The run's one seed.
        learn: False freezes the learners (evaluation runs).
        progress: Called with the step count every 1% of ``steps`` (for progress bars).
        compiled: False forces the step loop where the compiled repeated-game path applies.

    Returns:
        :class:`~socialrl.results.Results` with ``steps``, ``episodes`` and ``agents`` tables.

    Raises:
        ValueError: for a missing or non-positive length or recording interval.
        FloatingPointError: when a learner's loss or TD error becomes infinite or NaN.

    """
    settings = run_settings(steps, episodes, record_every, snapshot_every, stop_when_stable)
    return run_simulation(
        model, params, population, settings, seed=seed, learn=learn, progress=progress,
        compiled=compiled,
    )  # fmt: skip


def run_simulation(
    model: str | Callable[..., Any],
    params: Mapping[str, Any] | None,
    population: PopulationLike | None,
    settings: RunSettings,
    *,
    seed: int | np.random.SeedSequence = 0,
    learn: bool = True,
    progress: Progress | None = None,
    compiled: bool = True,
) -> Results:
    """:func:`simulate` with typed run settings (what a study's run hands over)."""
    if population is None:
        raise ValueError("simulate needs a population (e.g. {'walker': QLearning()})")
    pop = population if isinstance(population, Population) else Population(population)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    model_seed, population_seed = root.spawn(2)
    started = time.perf_counter()
    templates = prepare_leagues(pop)
    env = MultiAgentEnv(model, params)
    obs = env.reset(model_seed)
    world = env.model
    assert world is not None
    pop.bind(world, population_seed)
    recorder = Recorder(world, pop, settings.record_every, settings.snapshot_every)
    try:
        leagues = None
        if templates is not None:  # the league's seed is a third child: other runs unchanged
            leagues = Leagues.start(
                templates, world, pop, model, params, settings.steps, root.spawn(1)[0]
            )
        stopping = Stopping(world, pop, settings)
        runner = _compiled_runner(world, pop, settings, stopping, learn) if compiled else None
        loop = _StepLoop(env, pop, recorder, stopping, learn, _Reporter(settings.steps, progress))
        loop.leagues = leagues
        limit = settings.steps if settings.steps is not None else np.iinfo(np.int64).max
        t = loop.run(obs, limit) if runner is None else _play_compiled(runner, loop, limit)
        recorder.finish(t)
        extra = final_tables(world, pop)
        if leagues is not None:
            extra.update(leagues.tables())
    finally:
        env.close()
    meta = _meta(model, params, seed, t, time.perf_counter() - started, pop)
    return recorder.results(meta, extra)


def _compiled_runner(
    world: Any, pop: Population, settings: RunSettings, stopping: Stopping, learn: bool
) -> SessionRunner | None:
    """The compiled repeated-game runner, where the model, population and rules allow one.

    Episodes and whole-run stability are checked between Python steps, so only runs without
    them (or with per-session stopping, which the compiled loop applies itself) qualify.
    """
    if settings.episodes is not None:
        return None
    if settings.stop_when_stable is not None and stopping.sessions is None:
        return None
    return compiled_sessions(world, pop, learn=learn, stop_after=settings.stop_when_stable)


class _Reporter:
    """Calls ``progress`` every 1% of the run's steps (every 1,000 without a step count)."""

    def __init__(self, steps: int | None, progress: Progress | None) -> None:
        self.every = max(1, (steps or 100_000) // 100)
        self.progress = progress

    def __call__(self, t: int) -> None:
        if self.progress is not None and t % self.every == 0:
            self.progress(t)


class _StepLoop:
    """The loop of one Python step per period, for every model and population."""

    def __init__(
        self,
        env: MultiAgentEnv,
        pop: Population,
        recorder: Recorder,
        stopping: Stopping,
        learn: bool,
        report: _Reporter,
    ) -> None:
        self.env, self.pop, self.recorder = env, pop, recorder
        self.stopping, self.learn, self.report = stopping, learn, report
        self.leagues: Leagues | None = None  # snapshots, opponents and ratings, if any

    def run(self, obs: dict[str, np.ndarray], limit: int) -> int:
        """Step from observations ``obs`` until ``limit`` steps or a stopping rule; steps run."""
        world, pop, recorder = self.env.model, self.pop, self.recorder
        assert world is not None
        # Agents that sit out (episodes without autoreset, ended sessions) must not learn.
        pass_active = not world.autoreset or self.stopping.sessions is not None
        t = 0
        while t < limit:
            actions = pop.act(obs)
            active = {r: world.active(r) for r in world.roles} if pass_active else None
            outcome = self.env.step(actions)
            if self.learn:
                pop.learn(obs, actions, outcome, active)
            t += 1
            recorder.after_step(t, outcome)
            if self.leagues is not None:
                self.leagues.after_step(t, outcome)
            obs = {role: out.obs for role, out in outcome.items()}
            if self.stopping.reached(t, recorder.min_episodes):
                break
            self.report(t)
        return t


def _play_compiled(runner: SessionRunner, loop: _StepLoop, limit: int) -> int:
    """Play the run in compiled chunks that end on every recording and progress boundary."""
    recorder, report = loop.recorder, loop.report
    t = 0
    while t < limit:
        chunk = limit - t
        reported = report.every if report.progress is not None else None
        for every in (recorder.record_every, recorder.snapshot_every, reported):
            if every is not None:
                chunk = min(chunk, every - t % every)
        played, reward = runner.run(chunk)
        t += played
        recorder.after_chunk(t, played, {runner.game.role: reward})
        report(t)
        if played < chunk:  # every session has ended
            break
    return t


def _meta(
    model: str | Callable[..., Any],
    params: Mapping[str, Any] | None,
    seed: int | np.random.SeedSequence,
    steps: int,
    seconds: float,
    pop: Population,
) -> dict[str, Any]:
    """What the run was: model, parameters, seed, length, time and population."""
    return {
        "model": getattr(model, "__name__", model),  # a class's name, or the registered name
        "params": dict(params or {}),
        "seed": seed if isinstance(seed, int) else str(seed),
        "steps": steps,
        "seconds": seconds,
        "population": [
            {
                "group": name,
                "role": role,
                "learner": repr(learner),
                "agents": "all" if idx is None else idx.tolist(),
            }
            for name, role, learner, idx in pop.bound_groups
        ],
    }
