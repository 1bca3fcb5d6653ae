"""What a sequential-pricing study found: focal prices, cycles and profit gain ± s.e.

``socialrl show`` prints :func:`study_summary` (the plugin names it). It reads the ``markets``
table each run wrote at its end (:mod:`.learned`), so a summary never reruns a simulation.
Each market is an independent session, the unit of analysis: every standard error is over
markets (run × market), never over firms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.best_response import REGULATOR_COLUMNS, regulator_summary

if TYPE_CHECKING:
    from socialrl.study import StudyResults

__all__ = ["study_summary"]


def study_summary(results: StudyResults) -> dict[str, pd.DataFrame]:
    """Klein's (2021) reading, per swept setting: outcomes and profits of the greedy play.

    ``outcomes``: markets behind the row, the share that reach a focal price (the rest
    cycle), the profit gain Δ ± s.e. over markets, the mean price on the greedy cycle, the
    mean cycle length of the cycling markets, and the share of markets that converged.
    """
    by = list(results.swept)
    markets = results.table("markets")
    rows = markets.groupby(["run_id", "market", *by], dropna=False, as_index=False).agg(
        delta=("delta", "first"),
        price=("price_mean", "mean"),
        focal=("outcome", lambda o: bool((o == "focal").all())),
        periods=("cycle_periods", "first"),
        converged=("converged", "first"),
        **{name: (name, "first") for name in REGULATOR_COLUMNS},
    )
    rows["cycling_periods"] = rows["periods"].where(~rows["focal"])
    groups = rows.groupby(by, dropna=False) if by else rows.groupby(lambda _: "all")
    out = groups.agg(
        markets=("delta", "size"),
        focal_share=("focal", "mean"),
        delta_mean=("delta", "mean"),
        delta_sd=("delta", "std"),
        price_mean=("price", "mean"),
        cycle_periods_mean=("cycling_periods", "mean"),
        converged_share=("converged", "mean"),
    ).reset_index()
    out.insert(5, "delta_se", (out["delta_sd"] / np.sqrt(out["markets"])).to_numpy())
    out = pd.concat([out, regulator_summary(rows, by)], axis=1)
    if not results.spec.run.stop_when_stable:  # fixed-length runs (Klein's): nothing to count
        out = out.drop(columns="converged_share")
    if not by:
        out = out.drop(columns="index")
    return {"outcomes": out}
