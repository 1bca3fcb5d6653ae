"""The run loop: observe → act → step → learn → record.

:func:`simulate` is one run of one model with one population, driven by one seed: a
``numpy.random.SeedSequence`` spawns the model's generator and every learner's, so the same
seed gives identical tables and different seeds give independent runs.

Recording is vectorized too: episode returns accumulate in arrays, finished episodes are
appended as array chunks, and the tables are assembled once at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from socialrl.contract import MultiAgentModel, RoleStep
from socialrl.envs.batched import MultiAgentEnv
from socialrl.learners.base import Learner
from socialrl.learners.tabular_sessions import SessionRunner, compiled_sessions
from socialrl.population import Group, Population
from socialrl.results import Results

__all__ = ["simulate"]


def simulate(
    model: str | Callable[..., Any],
    params: Mapping[str, Any] | None = None,
    population: Population | Mapping[str, Learner] | list[Group] | Learner | None = None,
    *,
    steps: int | None = None,
    episodes: int | None = None,
    seed: int | np.random.SeedSequence = 0,
    record_every: int = 100,
    snapshot_every: int | None = None,
    learn: bool = True,
    stop_when_stable: int | None = None,
    progress: Callable[[int], None] | None = None,
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
        seed: The run's one seed.
        record_every: Write a ``steps`` row every this many steps (and after the last one).
        snapshot_every: Write per-agent ``agents`` rows every this many steps; they are always
            written after the last step.
        learn: False freezes the learners (evaluation runs).
        stop_when_stable: Stop once every learner's greedy policy has been stable for this many
            consecutive steps (each agent's greedy action in the states it visits unchanged;
            learners without a ``stable_steps()`` method cannot use it). In a model of
            independent sessions (:class:`~socialrl.contract.SessionModel`, e.g. the pricing
            market's markets) each session ends on its own once its agents are stable, and
            the run ends when every session has (Calvano et al.'s convergence rule).
        progress: Called with the step count every 1% of ``steps`` (for progress bars).
        compiled: Where the model is a batch of repeated games driven by tabular Q-learners,
            play many periods per compiled call (:mod:`socialrl.learners.tabular_sessions`);
            the tables are identical to the step-by-step loop's. False forces the step loop.

    Returns:
        :class:`~socialrl.results.Results` with ``steps``, ``episodes`` and ``agents`` tables.

    Raises:
        ValueError: for a missing or non-positive length or recording interval.
        FloatingPointError: when a learner's loss or TD error becomes infinite or NaN.

    """
    _check_lengths(steps, episodes, record_every, snapshot_every)
    if stop_when_stable is not None and (
        int(stop_when_stable) != stop_when_stable or stop_when_stable < 1
    ):
        raise ValueError(f"stop_when_stable must be a positive integer, got {stop_when_stable!r}")
    if population is None:
        raise ValueError("simulate needs a population (e.g. {'walker': QLearning()})")
    pop = population if isinstance(population, Population) else Population(population)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    model_seed, population_seed = root.spawn(2)

    started = time.perf_counter()
    env = MultiAgentEnv(model, params)
    obs = env.reset(model_seed)
    world = env.model
    assert world is not None
    pop.bind(world, population_seed)
    recorder = _Recorder(world, pop, record_every, snapshot_every)
    limit = steps if steps is not None else np.iinfo(np.int64).max
    autoreset = world.autoreset
    report_every = max(1, (steps or 100_000) // 100)

    sessions = _Sessions(world, pop, stop_when_stable) if _has_sessions(world) else None
    stability = _stability_probe(pop) if stop_when_stable is not None and sessions is None else None
    runner = None
    if compiled and episodes is None and (stop_when_stable is None or sessions is not None):
        runner = compiled_sessions(world, pop, learn=learn, stop_after=stop_when_stable)
    pass_active = not autoreset or sessions is not None

    t = 0
    try:
        if runner is not None:
            t = _run_compiled(runner, recorder, limit, report_every, progress)
        while runner is None and t < limit:
            actions = pop.act(obs)
            active = {r: world.active(r) for r in world.roles} if pass_active else None
            outcome = env.step(actions)
            if learn:
                pop.learn(obs, actions, outcome, active)
            t += 1
            recorder.after_step(t, outcome)
            obs = {role: out.obs for role, out in outcome.items()}
            if episodes is not None and recorder.min_episodes() >= episodes:
                break
            if stability is not None and stability() >= (stop_when_stable or 0):
                break
            if sessions is not None and sessions.update(t):
                break
            if progress is not None and t % report_every == 0:
                progress(t)
        recorder.finish(t)
        extra = _final_tables(world, pop)
    finally:
        env.close()
    elapsed = time.perf_counter() - started
    meta = {
        "model": getattr(model, "__name__", model),
        "params": dict(params or {}),
        "seed": seed if isinstance(seed, int) else str(seed),
        "steps": t,
        "seconds": elapsed,
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
    return recorder.results(meta, extra)


def _final_tables(model: MultiAgentModel, pop: Population) -> dict[str, pd.DataFrame]:
    """The model's end-of-run tables (``model.final_tables(population)``), if it writes any.

    The hook gets the bound population, so a model can evaluate what was learned through
    ``population.greedy_policy(role)`` (a market's greedy price cycle, a forced deviation) or
    tabulate a learner's inspectable state (``values()``, ``greedy_table()``) for the app.
    """
    hook = getattr(model, "final_tables", None)
    if hook is None:
        return {}
    tables = hook(pop)
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                f"{type(model).__name__}.final_tables returned {type(table).__name__} for table "
                f"{name!r}; expected a pandas DataFrame"
            )
    return dict(tables)


def _run_compiled(
    runner: SessionRunner,
    recorder: _Recorder,
    limit: int,
    report_every: int,
    progress: Callable[[int], None] | None,
) -> int:
    """Play the run in compiled chunks that end on every recording and progress boundary."""
    t = 0
    role = runner.game.role
    while t < limit:
        chunk = limit - t
        reported = report_every if progress is not None else None
        for every in (recorder.record_every, recorder.snapshot_every, reported):
            if every is not None:
                chunk = min(chunk, every - t % every)
        played, reward = runner.run(chunk)
        t += played
        recorder.after_chunk(t, played, {role: reward})
        if progress is not None and t % report_every == 0:
            progress(t)
        if played < chunk:  # every session has ended
            break
    return t


def _has_sessions(model: MultiAgentModel) -> bool:
    return all(
        callable(getattr(model, name, None))
        for name in ("session_ids", "sessions_active", "end_sessions")
    )


class _Sessions:
    """Ends each session of a :class:`~socialrl.contract.SessionModel` once it is stable.

    A session ends when every learning agent in it has kept its greedy action for
    ``stop_when_stable`` consecutive periods (Calvano et al.'s convergence rule, per market);
    its agents then stop while the others go on. Without ``stop_when_stable`` sessions never
    end early.
    """

    def __init__(self, model: Any, pop: Population, stop_when_stable: int | None) -> None:
        self.model, self.window = model, stop_when_stable
        self.counters: list[StabilityCounter] = []
        if stop_when_stable is None:
            return
        self.counters = _stability_counters(pop)
        for _role, _idx, stable_steps in self.counters:
            stable_steps()  # counting starts now
        self.ids = {role: model.session_ids(role) for role in model.roles}
        self.n_sessions = int(model.sessions_active().shape[0])

    def update(self, t: int) -> bool:
        """End the sessions that became stable at step ``t``; True once none plays."""
        if self.window is None:
            return False
        least = np.full(self.n_sessions, np.iinfo(np.int64).max)
        for role, idx, stable_steps in self.counters:
            ids = self.ids[role] if idx is None else self.ids[role][idx]
            np.minimum.at(least, ids, stable_steps())
        ended = least >= self.window
        if ended.any():
            self.model.end_sessions(ended & self.model.sessions_active(), t)
        return not self.model.sessions_active().any()


StabilityCounter = tuple[str, np.ndarray | None, Callable[[], np.ndarray]]


def _stability_counters(pop: Population) -> list[StabilityCounter]:
    """``(role, slots or None, stable_steps)`` of every learning group (not yet called).

    Raises:
        TypeError: for a learner that cannot report policy stability.
        ValueError: when no group learns.

    """
    counters = []
    for name, role, learner, idx in pop.bound_groups:
        if not getattr(learner, "learns", True):
            continue  # fixed policies are trivially stable
        stable_steps = getattr(learner, "stable_steps", None)
        if stable_steps is None:
            raise TypeError(f"group {name!r}: {learner!r} cannot report policy stability")
        counters.append((role, idx, stable_steps))
    if not counters:
        raise ValueError("stop_when_stable needs at least one learner")
    return counters


def _stability_probe(pop: Population) -> Callable[[], int]:
    """A function giving the fewest consecutive stable steps over every learning agent."""
    counters = [stable_steps for _role, _idx, stable_steps in _stability_counters(pop)]
    return lambda: min(int(counter().min()) for counter in counters)


def _check_lengths(
    steps: int | None, episodes: int | None, record_every: int, snapshot_every: int | None
) -> None:
    if steps is None and episodes is None:
        raise ValueError("give the run a length: steps=… and/or episodes=…")
    for name, value in (
        ("steps", steps),
        ("episodes", episodes),
        ("snapshot_every", snapshot_every),
    ):
        if value is not None and (int(value) != value or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if int(record_every) != record_every or record_every < 1:
        raise ValueError(f"record_every must be a positive integer, got {record_every!r}")


class _Recorder:
    """Accumulates the three tables without a Python loop over agents."""

    def __init__(
        self,
        model: MultiAgentModel,
        population: Population,
        record_every: int,
        snapshot_every: int | None,
    ) -> None:
        self.model, self.population = model, population
        self.record_every, self.snapshot_every = record_every, snapshot_every
        self.roles = list(model.roles)
        sizes = {r: model.roles[r].n_agents for r in self.roles}
        self.ep_return = {r: np.zeros(n) for r, n in sizes.items()}
        self.ep_length = {r: np.zeros(n, dtype=np.int64) for r, n in sizes.items()}
        self.ep_count = {r: np.zeros(n, dtype=np.int64) for r, n in sizes.items()}
        self.reward_sum = dict.fromkeys(self.roles, 0.0)
        self.since_record = 0
        self.episode_chunks: list[dict[str, np.ndarray]] = []
        self.step_rows: list[dict[str, Any]] = []
        self.snapshots: list[pd.DataFrame] = []
        self.last_recorded = 0
        self.last_snapshot = 0

    def after_step(self, t: int, outcome: Mapping[str, RoleStep]) -> None:
        for role in self.roles:
            out = outcome[role]
            ret, length = self.ep_return[role], self.ep_length[role]
            ret += out.reward
            length += 1
            self.reward_sum[role] += float(out.reward.sum())
            done = out.terminated | out.truncated
            if done.any():
                idx = np.flatnonzero(done)
                count = self.ep_count[role]
                self.episode_chunks.append(
                    {
                        "role": np.full(idx.size, role, dtype=object),
                        "agent": idx,
                        "episode": count[idx].copy(),
                        "end_step": np.full(idx.size, t, dtype=np.int64),
                        "length": length[idx].copy(),
                        "return": ret[idx].copy(),
                        "terminated": out.terminated[idx].copy(),
                    }
                )
                count[idx] += 1
                ret[idx] = 0.0
                length[idx] = 0
        self._advance(t, 1)

    def after_chunk(self, t: int, steps: int, reward_sums: Mapping[str, float]) -> None:
        """Account for ``steps`` periods played in one compiled call (no episodes end)."""
        for role in self.roles:
            self.ep_length[role] += steps
            self.reward_sum[role] += reward_sums.get(role, 0.0)
        self._advance(t, steps)

    def _advance(self, t: int, steps: int) -> None:
        """Count ``steps`` more steps up to ``t``; record and snapshot on their boundaries."""
        self.since_record += steps
        if t % self.record_every == 0:
            self._record(t)
        if self.snapshot_every is not None and t % self.snapshot_every == 0:
            self._snapshot(t)

    def min_episodes(self) -> int:
        return min(int(self.ep_count[r].min()) for r in self.roles)

    def finish(self, t: int) -> None:
        if t > self.last_recorded:
            self._record(t)
        if t > self.last_snapshot or not self.snapshots:
            self._snapshot(t)

    def _record(self, t: int) -> None:
        row: dict[str, Any] = {"step": t}
        row.update(self.model.metrics())
        for role in self.roles:
            n = self.model.roles[role].n_agents
            row[f"{role}_reward_mean"] = self.reward_sum[role] / max(self.since_record * n, 1)
            row[f"{role}_episodes"] = int(self.ep_count[role].sum())
            self.reward_sum[role] = 0.0
        diagnostics = self.population.diagnostics()
        for key, value in diagnostics.items():
            if np.isinf(value) or ("loss" in key and np.isnan(value)):
                raise FloatingPointError(
                    f"learner diagnostic {key} = {value} at step {t}: diverged"
                )
        row.update(diagnostics)
        self.step_rows.append(row)
        self.since_record = 0
        self.last_recorded = t

    def _snapshot(self, t: int) -> None:
        report = getattr(self.model, "policy_report", None)
        for name, role, _learner, idx in self.population.bound_groups:
            frame = self.model.agent_frame(role)
            n = self.model.roles[role].n_agents
            cols: dict[str, Any] = {
                "step": np.full(n, t, dtype=np.int64),
                "role": np.full(n, role, dtype=object),
                "agent": np.arange(n),
                **frame,
            }
            if report is not None:
                cols.update(report(role, self.population.greedy_policy(role)))
            table = pd.DataFrame(cols)
            table.insert(2, "group", name)
            self.snapshots.append(table if idx is None else table.iloc[idx])
        self.last_snapshot = t

    def results(self, meta: dict[str, Any], extra: dict[str, pd.DataFrame]) -> Results:
        steps = pd.DataFrame(self.step_rows)
        if self.episode_chunks:
            episodes = pd.DataFrame(
                {
                    k: np.concatenate([c[k] for c in self.episode_chunks])
                    for k in self.episode_chunks[0]
                }
            )
        else:
            episodes = pd.DataFrame(
                {
                    "role": pd.Series(dtype=object),
                    "agent": pd.Series(dtype=np.int64),
                    "episode": pd.Series(dtype=np.int64),
                    "end_step": pd.Series(dtype=np.int64),
                    "length": pd.Series(dtype=np.int64),
                    "return": pd.Series(dtype=np.float64),
                    "terminated": pd.Series(dtype=bool),
                }
            )
        episodes = episodes.sort_values(["role", "agent", "episode"], kind="stable").reset_index(
            drop=True
        )
        agents = pd.concat(self.snapshots, ignore_index=True)
        return Results(steps=steps, episodes=episodes, agents=agents, meta=meta, extra=extra)
