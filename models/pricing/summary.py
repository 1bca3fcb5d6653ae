"""What a pricing study found, next to Calvano et al.'s (2020) published baseline.

``socialrl show`` prints :func:`study_summary` (the pricing plugin names it). It reads the
``markets`` and ``impulse`` tables that each run wrote at its end
(:meth:`PricingModel.final_tables <socialrl_models.pricing.model.PricingModel.final_tables>`),
so a summary never reruns a simulation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.best_response import REGULATOR_COLUMNS, regulator_summary

if TYPE_CHECKING:
    from socialrl.study import StudyResults

__all__ = ["PUBLISHED", "study_summary"]

#: Calvano et al. (2020) baseline results, as listed in ``shared/REFERENCES.md``.
PUBLISHED = {
    "delta_mean": 0.85,
    "delta_sd": 0.11,
    "converged_share": 1.0,
    "convergence_periods_mean": 1.75e6,
}


def study_summary(results: StudyResults) -> dict[str, pd.DataFrame]:
    """A Calvano-style report of a pricing study, next to the published baseline.

    ``outcomes``: for every swept setting, the profit gain Δ across markets (each market's Δ
    is the industry's, as in the paper: defined for asymmetric firms too), the share of
    converged markets and the mean convergence time excluding the final stability window,
    and a regulator's reading of the learned strategies (shares at a Nash equilibrium and
    subgame perfect, the punishment and gain of a forced deviation,
    :func:`~socialrl.best_response.regulator_summary`).
    ``impulse``: the average greedy prices of the deviating firm and its rival around a
    forced deviation.

    Args:
        results: The study's results.

    """
    markets = results.table("markets")
    by = results.swept
    window = _stability_window(results)
    per_market = markets.groupby(["run_id", "market", *by], dropna=False, as_index=False).agg(
        delta=("delta", "mean"),
        converged=("converged", "first"),
        converged_at=("converged_at", "first"),
        cycle_length=("cycle_length", "first"),
        **{name: (name, "first") for name in REGULATOR_COLUMNS},
    )
    per_market["periods"] = np.where(
        per_market["converged"], per_market["converged_at"] - window, np.nan
    )
    groups = per_market.groupby(by, dropna=False) if by else per_market.groupby(lambda _: "all")
    outcomes = groups.agg(
        markets=("delta", "size"),
        delta_mean=("delta", "mean"),
        delta_sd=("delta", "std"),
        converged_share=("converged", "mean"),
        periods_mean=("periods", "mean"),
        cycle_1_share=("cycle_length", lambda c: float((c == 1).mean())),
    ).reset_index()
    if not by:
        outcomes = outcomes.drop(columns="index")
    regulator = regulator_summary(per_market, by)
    outcomes = pd.concat([outcomes, regulator], axis=1)
    outcomes["delta_published"] = PUBLISHED["delta_mean"]
    outcomes["periods_published"] = PUBLISHED["convergence_periods_mean"]
    impulse = results.table("impulse")
    mean_path = impulse.groupby(["tau", "firm"])["price"].mean().unstack("firm")
    table = pd.DataFrame({"tau": mean_path.index})
    table["deviator_price"] = mean_path[0].to_numpy()
    table["rival_price"] = mean_path.drop(columns=0).mean(axis=1).to_numpy()
    first = markets.drop_duplicates("run_id")
    table["p_nash"] = float(first["p_nash"].mean())
    table["p_monopoly"] = float(first["p_monopoly"].mean())
    return {"outcomes": outcomes, "impulse response (mean over markets)": table.head(16)}


def _stability_window(results: StudyResults) -> int:
    """The study's convergence window (``run.stop_when_stable``; 0 if none)."""
    value = results.spec.run.stop_when_stable
    return int(value or 0)
