"""Turning a maze run's tables into the numbers a researcher reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["episodes_to_optimal"]


def episodes_to_optimal(agents: pd.DataFrame) -> pd.DataFrame:
    """Find when each walker's greedy policy became optimal, and stayed so.

    Reads the ``agents`` snapshot table of a maze run (columns ``step``, ``agent``,
    ``episodes``, ``greedy_optimal``). A walker has *learned* at the first snapshot from which
    its greedy path from the start is a shortest path in every later snapshot.

    Returns:
        One row per walker (plus any grouping columns present, such as ``run_id`` or ``seed``):
        ``learned`` (bool), ``step`` and ``episodes`` at the first snapshot of the final optimal
        streak (NaN when the walker never got there).

    """
    keys = [c for c in ("run_id", "seed") if c in agents.columns] + ["agent"]
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
