"""The tables of a run: ``steps``, ``episodes``, ``agents`` and the model's own.

Recording is vectorized: episode returns accumulate in arrays, finished episodes are appended
as array chunks, and the tables are assembled once at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from socialrl.capabilities import EndOfRunTables, PolicyReport
from socialrl.contract import MultiAgentModel, RoleStep
from socialrl.population import Population
from socialrl.results import Results

__all__ = ["Recorder", "final_tables"]

#: The ``episodes`` table's columns and types (also when no episode ended).
EPISODE_COLUMNS: dict[str, Any] = {
    "role": object,
    "agent": np.int64,
    "episode": np.int64,
    "end_step": np.int64,
    "length": np.int64,
    "return": np.float64,
    "terminated": bool,
}


class Recorder:
    """Accumulates the three tables without a Python loop over agents.

    Args:
        model: The bound model.
        population: The bound population.
        record_every: A ``steps`` row every this many steps (and after the last one).
        snapshot_every: ``agents`` rows every this many steps (None: after the last one only).

    """

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
        """Count step ``t``'s rewards; close the episodes that ended in it."""
        for role in self.roles:
            out = outcome[role]
            reward = out.reward
            # One agent: its reward is the sum NumPy would give (a reduction starts from the
            # first element), at a tenth of the cost of a reduction call.
            self.reward_sum[role] += float(reward[0] if reward.shape[0] == 1 else reward.sum())
            if _count_step(reward, out.terminated, out.truncated, self.ep_return[role],
                           self.ep_length[role]):  # fmt: skip
                done = out.terminated | out.truncated
                self._close_episodes(role, t, np.flatnonzero(done), out.terminated)
        self._advance(t, 1)

    def _close_episodes(self, role: str, t: int, idx: np.ndarray, terminated: np.ndarray) -> None:
        """Append the episodes of agents ``idx`` that ended at step ``t``; start new ones."""
        count, ret, length = self.ep_count[role], self.ep_return[role], self.ep_length[role]
        self.episode_chunks.append(
            {
                "role": np.full(idx.size, role, dtype=object),
                "agent": idx,
                "episode": count[idx].copy(),
                "end_step": np.full(idx.size, t, dtype=np.int64),
                "length": length[idx].copy(),
                "return": ret[idx].copy(),
                "terminated": terminated[idx].copy(),
            }
        )
        count[idx] += 1
        ret[idx] = 0.0
        length[idx] = 0

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
        """The fewest episodes any agent has finished."""
        return min(int(self.ep_count[r].min()) for r in self.roles)

    def finish(self, t: int) -> None:
        """Record and snapshot the last step ``t`` unless that is done already."""
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
        report = self.model.policy_report if isinstance(self.model, PolicyReport) else None
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
        """The run's tables, with ``meta`` and the model's ``extra`` tables."""
        steps = pd.DataFrame(self.step_rows)
        if self.episode_chunks:
            chunks = self.episode_chunks
            episodes = pd.DataFrame({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})
        else:
            episodes = pd.DataFrame(
                {name: pd.Series(dtype=dtype) for name, dtype in EPISODE_COLUMNS.items()}
            )
        episodes = episodes.sort_values(["role", "agent", "episode"], kind="stable").reset_index(
            drop=True
        )
        agents = pd.concat(self.snapshots, ignore_index=True)
        return Results(steps=steps, episodes=episodes, agents=agents, meta=meta, extra=extra)


@njit(cache=True, nogil=True)
def _count_step(
    reward: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    ep_return: np.ndarray,
    ep_length: np.ndarray,
) -> bool:  # pragma: no cover - compiled
    """Add a step's rewards to the running returns and lengths; whether an episode ended.

    One pass instead of four array operations, each of which costs about a microsecond
    however few the agents (a run's first walker pays that on every step).
    """
    ended = False
    for i in range(reward.shape[0]):
        ep_return[i] += reward[i]
        ep_length[i] += 1
        ended |= terminated[i] | truncated[i]
    return ended


def final_tables(model: MultiAgentModel, pop: Population) -> dict[str, pd.DataFrame]:
    """The model's end-of-run tables (:class:`~socialrl.capabilities.EndOfRunTables`), if any.

    The hook gets the bound population, so a model can evaluate what was learned through
    ``population.greedy_policy(role)`` (a market's greedy price cycle, a forced deviation) or
    tabulate a learner's inspectable state (its Q values, its greedy actions) for the app.
    """
    if not isinstance(model, EndOfRunTables):
        return {}
    tables = model.final_tables(pop)
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                f"{type(model).__name__}.final_tables returned {type(table).__name__} for table "
                f"{name!r}; expected a pandas DataFrame"
            )
    return dict(tables)
