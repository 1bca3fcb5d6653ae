"""Cross-play: the study's trained populations against strangers, strategies and themselves.

Shows what ``socialrl crossplay`` wrote into the study's folder
(:mod:`socialrl.study.crossplay`): the matrix as a heatmap (rows the focal populations,
columns who they met; the diagonal is each against itself, its universalization score),
with the n behind every cell; the summary per focal design cell (the diagonal, the
off-diagonal, their gap); and every match with its standard errors.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from socialrl.app import charts, ui
from socialrl.app.data import Study
from socialrl.app.paths import OutsideRootError, confine
from socialrl.study.crossplay import (
    SUMMARY_FILE,
    TABLE_FILE,
    payoff_matrix,
    played_runs,
    read_crossplay,
)


@st.cache_data(show_spinner=False, max_entries=16)
def _tables(path_text: str, stamp: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The study's cross-play tables (cached on the files' modification times)."""
    return read_crossplay(path_text)


def tables(study: Study) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The cross-play tables of ``study``, None where none was computed.

    Raises:
        OutsideRootError: a table that is a link leading outside the results root.

    """
    stamps = []
    for name in (TABLE_FILE, SUMMARY_FILE):
        path = confine(study.path / name, study.root)
        stamps.append(path.stat().st_mtime_ns if path.is_file() else 0)
    return _tables(str(study.path), tuple(stamps))


def heatmap_section(table: pd.DataFrame) -> None:
    """The matrix of one side's payoff, with the units behind each cell."""
    side = str(st.radio("Payoff of", ["focal", "background"], horizontal=True, key="cp_side"))
    unit = f"{table['unit'].iloc[0]}s"
    figure = charts.heatmap_figure(
        payoff_matrix(table, f"{side}_payoff"),
        payoff_matrix(table, "n"),
        f"{side} payoff",
        rows="focal",
        cols="background",
        unit=unit,
    )
    figure.update_yaxes(autorange="reversed")  # read as a matrix: the diagonal runs down
    st.plotly_chart(figure, key="crossplay_heatmap")
    low, high = int(table["n"].min()), int(table["n"].max())
    n = str(low) if low == high else f"{low}–{high}"
    st.caption(
        f"Mean {side} payoff per agent and step, n = {n} {unit} per cell "
        f"({int(table['episodes'].iloc[0])} episodes of {int(table['steps'].iloc[0])} steps, "
        f"seed {int(table['seed'].iloc[0])}). Rows: the focal population; columns: who held "
        "the other seats. The diagonal is each population against itself (universalization); "
        "off it, strangers: other seeds, algorithms or designs, its own run's other sessions, "
        "scripted strategies."
    )


def _stale_runs(study: Study, table: pd.DataFrame) -> int:
    """How many trained players of the table are not finished runs of the study now."""
    runs = study.runs()
    done = set(runs.loc[runs["status"] == "done", "run_id"].astype(str))
    return len(played_runs(table) - done)


def render() -> None:
    """The Cross-play page."""
    st.title("Cross-play")
    study = ui.selected_study()
    if study is None:
        return
    try:
        found = tables(study)
    except OutsideRootError as err:
        st.error(str(err))
        return
    if found is None:
        st.info(
            "No cross-play for this study yet. Compute it (greedy learners, no learning) with "
            f"`socialrl crossplay {study.path}`, which writes {TABLE_FILE} into the study's "
            "folder; `--background strategy:tit_for_tat` adds scripted strategies."
        )
        return
    table, summary = found
    stale = _stale_runs(study, table)
    if stale:
        st.warning(
            f"This cross-play played {stale} run(s) that are no longer among the study's "
            f"finished runs (the study was run again): run `socialrl crossplay {study.path}` "
            "again."
        )
    heatmap_section(table)
    st.subheader("Per focal design cell")
    st.dataframe(summary, hide_index=True, width="stretch")
    st.caption(
        "universalization: the mean of the diagonal (each run against itself); cross_play: "
        "the mean off it (strangers and other sessions); gap: the first minus the second; "
        "scripted: against scripted strategies; each a mean over matches, n_* of them."
    )
    st.subheader("Every match")
    st.dataframe(table, hide_index=True, width="stretch")


if __name__ == "__main__":
    render()
