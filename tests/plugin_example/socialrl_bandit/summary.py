"""The study summary that ``socialrl show`` prints."""

from typing import Any

import pandas as pd


def study_summary(results: Any) -> pd.DataFrame:
    """The win rate of the last recorded step, per run."""
    last = results.steps.sort_values("step").groupby("run_id", observed=True).tail(1)
    return last[["run_id", "step", "win_rate"]].reset_index(drop=True)
