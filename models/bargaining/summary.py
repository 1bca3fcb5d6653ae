"""What a bargaining study found: opening offers against the subgame-perfect one, ± s.e.

``socialrl show`` prints :func:`study_summary` (the plugin names it). It reads the
``agreements`` table each run wrote at its end (:mod:`.final_tables`): one greedy game per
game slot. Each game slot has its own players (and, with per-agent learners, its own
learners): the unit of analysis is run × game, and every statistic is over those units
(:mod:`socialrl.statistics`), with their number shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialrl.statistics import summarize

if TYPE_CHECKING:
    from socialrl.study import StudyResults

__all__ = ["offers_summary", "study_summary"]

#: Summary column → the ``agreements`` column whose mean over games it is.
_MEANS = {
    "agreement_share": "agreed",
    "round0_share": "agreed_round0",
    "within_one_share": "within_one",
    "abs_gap_mean": "abs_gap",
    "accept_up_to_mean": "accept_up_to",
}


def offers_summary(agreements: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per ``by`` group: the opening offer ± s.e. over games, and how it compares with the SPE.

    Args:
        agreements: The ``agreements`` rows of every run (``run_id``, ``game``, the swept
            parameters).
        by: Grouping columns (the swept parameters; empty for one group, ``group``).

    """
    frame = agreements.assign(
        within_one=agreements["offer_gap"].abs() <= 1,
        abs_gap=agreements["offer_gap"].abs(),
    )
    keys = list(by) if by else ["group"]
    opening = summarize(frame, "first_offer", by, unit="game", bounds=(0, None))
    out = opening[keys].assign(
        games=opening["n"].astype(np.int64),
        spe_offer=summarize(frame, "spe_offer", by, unit="game")["mean"].to_numpy(),
        first_offer_mean=opening["mean"],
        first_offer_se=opening["sd"] / np.sqrt(opening["n"]),
        first_offer_ci95_low=opening["ci95_low"],
        first_offer_ci95_high=opening["ci95_high"],
    )
    for name, column in _MEANS.items():
        means = summarize(frame, column, by, unit="game")[[*keys, "mean"]]
        out = out.merge(means.rename(columns={"mean": name}), on=keys, how="left")
    return out


def study_summary(results: StudyResults) -> dict[str, pd.DataFrame]:
    """Per swept setting, over games: the opening offer and the distance to the SPE.

    ``offers``: ``games`` (the units behind the row), the opening offer's mean, s.e. and
    95% interval (units the opener proposes to keep), the subgame-perfect offer, the shares
    of games that agreed at all, agreed in round 0 and opened within one unit of the SPE, the
    mean absolute distance to it, and the round-0 responder's mean acceptance threshold.
    """
    by = list(results.swept)
    out = offers_summary(results.table("agreements"), by)
    if not by:
        out = out.drop(columns="group")
    return {"offers": out}
