"""What a board-game study found: how often the first player won, drew and lost, ± a 95% CI.

``socialrl show`` prints :func:`study_summary` (the board plugin names it). It reads the
``games`` table each run wrote at its end (:mod:`.records`), so a summary never replays a game.

**Unit of analysis: the run.** The games of one run share their learners (one learner usually
drives every board), so they are not independent replications; each run gives one share of
each outcome (over all its games), and the intervals are across runs (n: ``runs``). The number
of games behind the shares is shown beside them (``games``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from socialrl.statistics import across_runs

if TYPE_CHECKING:
    from socialrl.study import StudyResults

__all__ = ["OUTCOME_SHARES", "outcome_shares", "study_summary"]

#: The share columns, by the ``outcome`` they count (an unfinished game counts in none).
OUTCOME_SHARES = {"first": "first_win_share", "draw": "draw_share", "second": "second_win_share"}


def outcome_shares(games: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per run (and ``by`` group): its games, each outcome's share, the mean length."""
    keys = ["run_id", *by]
    counted = games.assign(
        **{
            share: games["outcome"].astype(str) == outcome
            for outcome, share in OUTCOME_SHARES.items()
        }
    )
    return counted.groupby(keys, dropna=False, as_index=False, observed=True).agg(
        games=("outcome", "size"),
        **{share: (share, "mean") for share in OUTCOME_SHARES.values()},
        length=("length", "mean"),
    )


def study_summary(results: StudyResults) -> dict[str, pd.DataFrame]:
    """Outcome shares per swept setting, as the mean over runs with its 95% interval.

    ``outcomes``: per setting the runs and games behind it, then for the first player's wins,
    the draws and the second player's wins the mean share over runs with its interval
    (clipped to [0, 1]), and the mean game length in plies.
    """
    by = list(results.swept)
    per_run = outcome_shares(results.table("games"), by)
    group = by or ["all"]
    if not by:
        per_run["all"] = "all"
    out = per_run.groupby(group, dropna=False).agg(
        runs=("run_id", "size"), games=("games", "sum"), length=("length", "mean")
    )
    for share in OUTCOME_SHARES.values():
        stats = across_runs(per_run, share, group, bounds=(0, 1)).set_index(group)
        out[share] = stats["mean"]
        out[f"{share}_ci95_low"] = stats["ci95_low"]
        out[f"{share}_ci95_high"] = stats["ci95_high"]
    out = out.reset_index()
    return {"outcomes": out.drop(columns="all") if not by else out}
