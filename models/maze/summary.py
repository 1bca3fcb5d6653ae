"""What a maze study found: how many episodes walkers needed to learn the shortest path.

``socialrl show`` prints :func:`study_summary` (the maze plugin names it). It reads only the
study's tables — the ``agents`` snapshots with their ``greedy_optimal`` column, written by
:meth:`MazeModel.policy_report <socialrl_models.maze.model.MazeModel.policy_report>` — so a
summary never reruns a simulation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socialrl.statistics import summarize

from .model import MazeModel

if TYPE_CHECKING:
    from socialrl.study import StudyResults

__all__ = ["episodes_to_optimal", "study_summary"]


def episodes_to_optimal(agents: pd.DataFrame) -> pd.DataFrame:
    """Find when each walker's greedy policy became optimal, and stayed so.

    Reads the ``agents`` snapshot table of a maze run (columns ``step``, ``agent``,
    ``episodes``, ``greedy_optimal``). A walker has *learned* at the first snapshot from which
    its greedy path from the start is a shortest path in every later snapshot.

    Returns:
        One row per walker (per ``run_id`` too, when the table has one):
        ``learned`` (bool), ``step`` and ``episodes`` at the first snapshot of the final optimal
        streak (NaN when the walker never got there).

    """
    keys = [c for c in ("run_id",) if c in agents.columns] + ["agent"]
    table = agents.sort_values([*keys, "step"])
    optimal = table["greedy_optimal"].astype(bool)
    # A snapshot starts the final streak if it and every later one (of that walker) are optimal.
    last_failure = (
        table.assign(_fail=np.where(~optimal, table["step"], -1))
        .groupby(keys)["_fail"]
        .transform("max")
    )
    streak = table[optimal & (table["step"] > last_failure)]
    first = streak.groupby(keys, as_index=False).first()[[*keys, "step", "episodes"]]
    everyone = table[keys].drop_duplicates()
    out = everyone.merge(first, on=keys, how="left")
    out.insert(len(keys), "learned", out["step"].notna())
    return out.reset_index(drop=True)


def study_summary(results: StudyResults) -> pd.DataFrame:
    """How many episodes each setting of a maze study needed to reach the optimal path length.

    For every swept setting: the BFS shortest path, the share of walkers whose greedy path
    became optimal for good, and the episodes they needed (mean, s.d., 95% CI across seeds:
    each run contributes the mean over its walkers).

    Args:
        results: The study's results, recorded with ``snapshot_every``.

    """
    agents = results.agents
    by = results.swept
    learned = episodes_to_optimal(agents[["run_id", "agent", "step", "episodes", "greedy_optimal"]])
    keys = agents.drop_duplicates("run_id")[["run_id", *by]]
    learned = learned.merge(keys, on="run_id")
    table = summarize(learned, "episodes", by).rename(
        columns={
            "mean": "episodes_mean",
            "sd": "episodes_sd",
            "n": "runs",
            "ci95_low": "episodes_ci95_low",
            "ci95_high": "episodes_ci95_high",
        }
    )
    if by:
        share = learned.groupby(by, dropna=False)["learned"].mean().rename("learned_share")
        table = table.merge(share.reset_index(), on=by)
    else:
        table["learned_share"] = learned["learned"].mean()
    if "model.layout" in by:
        table.insert(
            len(by), "shortest_path", [_shortest(layout) for layout in table["model.layout"]]
        )
    return table


def _shortest(layout: Any) -> int | None:
    """The BFS optimum of a swept layout (None for random mazes: each run drew its own)."""
    if str(layout).startswith("random:"):
        return None
    return MazeModel(layout).optimal_path_length
