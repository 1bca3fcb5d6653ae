"""Pieces the model views share: choosing one run, and asking for a table politely."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from socialrl.app.data import Study
from socialrl.app.labels import column_label, value_label

__all__ = ["param", "pick_run", "table_or_message"]


def table_or_message(study: Study, name: str, why: str) -> pd.DataFrame | None:
    """A table of the study, or None after an info box saying the study has none (and why)."""
    if not study.has_table(name):
        st.info(f"This study has no `{name}` table: {why}")
        return None
    loaded = study.table(name)
    for note in loaded.notes:
        st.warning(note)
    if loaded.frame.empty:
        st.info(f"The `{name}` table is empty in every finished run.")
        return None
    return loaded.frame


def pick_run(study: Study, key: str, among: Any = None) -> pd.Series | None:
    """Choose one finished run by its swept parameters and seed; its row of the runs table.

    Args:
        study: The study.
        key: Widget key prefix (unique per view).
        among: Run ids to choose from (e.g. those that wrote a table); default: all finished.

    """
    runs = study.runs()
    runs = runs[runs["status"] == "done"]
    if among is not None:
        runs = runs[runs["run_id"].isin(set(map(str, among)))]
    if runs.empty:
        st.info("No finished run to show.")
        return None
    swept = [c for c in study.info()["swept"] if c in runs.columns]
    columns = st.columns(len(swept) + 1)
    for column, parameter in zip(columns, swept, strict=False):
        options = list(pd.unique(runs[parameter]))
        with column:
            chosen = st.selectbox(
                column_label(parameter),
                list(range(len(options))),
                format_func=_labeller(options),
                key=f"{key}_{parameter}",
            )
        runs = runs[runs[parameter] == options[int(chosen or 0)]]
    with columns[-1]:
        seeds = runs.sort_values("replication")
        names = [
            f"#{r} (seed {str(s)[:8]}…)"
            for r, s in zip(seeds["replication"], seeds["seed"], strict=True)
        ]
        index = st.selectbox(
            "replication (seed)",
            list(range(len(seeds))),
            format_func=names.__getitem__,
            key=f"{key}_replication",
        )
    return seeds.iloc[int(index or 0)]


def _labeller(options: list[Any]) -> Any:
    """A ``format_func`` showing option ``i`` by its value's label."""

    def label(i: int) -> str:
        return value_label(options[i])

    return label


def param(run: pd.Series, name: str, default: Any, params: dict[str, Any] | None = None) -> Any:
    """A run's parameter by its last name (``gamma`` finds ``population.walker.gamma``).

    Looks in the run's columns first, then in the study's fixed model parameters.
    """
    for column, value in run.items():
        if str(column).rsplit(".", 1)[-1] == name and not pd.isna(value):
            return value
    return (params or {}).get(name, default)
