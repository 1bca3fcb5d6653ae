"""What a coordination study found: did conventions form, how fast, and which one.

Every run ends with its model's reporters in the last row of its ``steps`` table (action
shares, coordination, clustering, the time to convention found online) and, when recorded with
snapshots, its learners' greedy actions in the ``agents`` table. :func:`study_summary` reads
both and answers, per swept setting: did a convention form, how fast, and which one was
selected? ``socialrl show`` prints it (the coordination plugin names it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .structures import as_structure

if TYPE_CHECKING:
    from socialrl.study import StudyResults

__all__ = ["final_state", "study_summary"]


def final_state(steps: pd.DataFrame, agents: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per run: its last reporters and the action the population selected.

    ``selected`` is the action most learners would choose greedily at the end (their settled
    policy, free of exploration) when the ``agents`` table has ``greedy_action``, otherwise the
    most common action in the last step.
    """
    actions = [c.removeprefix("share_") for c in steps.columns if c.startswith("share_")]
    last = steps.sort_values(["run_id", "step"]).groupby("run_id", as_index=False).last()
    shares = last[[f"share_{a}" for a in actions]].to_numpy()
    last["selected"] = [actions[k] for k in shares.argmax(axis=1)]
    if agents is not None and "greedy_action" in agents.columns and len(agents):
        final = agents[agents["step"] == agents.groupby("run_id")["step"].transform("max")]
        counts = final.groupby("run_id")["greedy_action"].value_counts(normalize=True)
        greedy = counts.unstack(fill_value=0).reindex(columns=range(len(actions)), fill_value=0)
        greedy.columns = [f"greedy_{a}" for a in actions]
        last = last.merge(greedy, left_on="run_id", right_index=True, how="left")
        learned = last[greedy.columns].to_numpy()
        has = ~np.isnan(learned).all(axis=1)
        picked = np.nan_to_num(learned).argmax(axis=1)
        last.loc[has, "selected"] = [actions[k] for k in picked[has]]
    return last


def study_summary(results: StudyResults) -> pd.DataFrame:
    """Per swept setting: conventions reached, time to convention, selection, cooperation.

    Columns: the swept parameters (a swept ``game_params`` table becomes one column per
    parameter, e.g. ``b``; a swept ``structure`` reads ``grid 20×20 von_neumann,
    neighbours``); ``runs``; ``convention``, the share of runs in which ≥ θ of the players
    agreed for W steps; ``t_convention`` and ``t_convention_sd``, the time to
    convention over those runs; ``selected``, the selected action of most runs with how many
    (``"hare 10/10"``); the final action shares; the final coordination rate, payoff relative
    to the payoff-dominant equilibrium and clustering, as means across seeds. (The
    cooperation rate is the share of the cooperative action.)

    Args:
        results: The study's results.

    """
    swept = list(results.swept)
    agents = results.agents if len(results.agents) else None
    runs = final_state(results.steps, agents)
    runs = runs.drop(columns=[c for c in swept if c in runs.columns])
    keys = results.runs[results.runs["status"] == "done"][["run_id", "point", *swept]]
    runs = runs.merge(keys, on="run_id").sort_values("point", kind="stable")  # sweep order
    by = swept
    if "model.structure" in swept:  # one readable label per structure, not its JSON
        runs["model.structure"] = runs["model.structure"].map(_structure_label)
    if "model.game_params" in swept:
        params = runs["model.game_params"].map(_as_dict)
        names = sorted({k for p in params for k in p})
        for name in names:
            runs[name] = params.map(lambda p, k=name: p.get(k))
        by = [c for c in swept if c != "model.game_params"] + names
    runs["reached"] = runs["convention_step"].notna().astype(float)
    group = runs.groupby(by, dropna=False, sort=False) if by else runs.groupby(lambda _: "all")
    actions = [c.removeprefix("share_") for c in runs.columns if c.startswith("share_")]
    table = pd.DataFrame(
        {
            "runs": group.size(),
            "convention": group["reached"].mean(),
            "t_convention": group["convention_step"].mean(),
            "t_convention_sd": group["convention_step"].std(),
            "selected": group["selected"].agg(_majority),
        }
    )
    for action in actions:
        table[f"share_{action}"] = group[f"share_{action}"].mean()
    for column in ("coordination_rate", "payoff_relative", "clustering"):
        if column in runs.columns and runs[column].notna().any():
            table[column] = group[column].mean()
    return table.reset_index() if by else table.reset_index(drop=True)


def _majority(selected: pd.Series) -> str:
    counts = selected.value_counts()
    return f"{counts.index[0]} {counts.iloc[0]}/{len(selected)}"


def _structure_label(value: Any) -> str:
    table = _as_dict(value)
    return as_structure(table if table else str(value)).label()


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.startswith("{"):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return {}
