"""What an auction study found: learned bids, revenue and surplus, ± s.e. over auctions.

``socialrl show`` prints :func:`study_summary` (the auction plugin names it). It reads the
``markets`` table that each run wrote at its end
(:meth:`AuctionModel.final_tables <socialrl_models.auction.model.AuctionModel.final_tables>`),
so a summary never reruns a simulation. Each auction is an independent session, the unit of
analysis: every standard error is over auctions (run × market), never over bidders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.best_response import REGULATOR_COLUMNS, regulator_summary

if TYPE_CHECKING:
    from socialrl.study import StudyResults

__all__ = ["study_summary"]

#: Per-auction outcomes the summary reports as a mean ± s.e. over auctions.
MEASURES = ("bid_ratio", "winning_bid", "revenue", "surplus")


def per_market(markets: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per auction: mean bid ÷ value, winning bid, revenue, bidders' total surplus."""
    keys = ["run_id", "market", *by]
    return markets.groupby(keys, dropna=False, as_index=False).agg(
        bid_ratio=("bid_ratio", "mean"),
        winning_bid=("winning_bid", "first"),
        revenue=("revenue", "first"),
        surplus=("surplus", "sum"),
        converged=("converged", "first"),
        revenue_nash_min=("revenue_nash_min", "first"),
        revenue_nash_max=("revenue_nash_max", "first"),
        **{name: (name, "first") for name in REGULATOR_COLUMNS},
    )


def study_summary(results: StudyResults) -> dict[str, pd.DataFrame]:
    """Banchio & Skrzypacz's comparison: for every swept setting, the learned outcomes.

    ``outcomes``: the number of auctions behind the row, the mean and standard error (over
    auctions) of the greedy bid ÷ value, the winning bid, the seller's revenue and the
    bidders' total surplus, the share of auctions that converged, the range of revenue over
    the one-shot pure equilibria on the grid for comparison, and a regulator's reading of the
    learned strategies (:func:`~socialrl.best_response.regulator_summary`).

    Args:
        results: The study's results.

    """
    by = list(results.swept)
    rows = per_market(results.table("markets"), by)
    groups = rows.groupby(by, dropna=False) if by else rows.groupby(lambda _: "all")
    out = groups.agg(markets=("revenue", "size")).reset_index()
    for name in MEASURES:
        stats = groups[name].agg(["mean", "std", "count"]).reset_index(drop=True)
        out[f"{name}_mean"] = stats["mean"].to_numpy()
        out[f"{name}_se"] = (stats["std"] / np.sqrt(stats["count"])).to_numpy()
    out["converged_share"] = groups["converged"].mean().to_numpy()
    out["revenue_nash_min"] = groups["revenue_nash_min"].first().to_numpy()
    out["revenue_nash_max"] = groups["revenue_nash_max"].first().to_numpy()
    if not by:
        out = out.drop(columns="index")
    out = pd.concat([out, regulator_summary(rows, by)], axis=1)
    return {"outcomes": out}
