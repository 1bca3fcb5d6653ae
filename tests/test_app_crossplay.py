"""The app's Cross-play page, run headless with Streamlit's AppTest (see ``test_app.py``).

A small coordination study (4 seeds of two Q-learners in pure coordination) and its
cross-play, computed as ``socialrl crossplay`` computes it; the page must draw the matrix as a
heatmap whose cells are the table's payoffs, with the n behind each cell, and say how to
compute the matrix where there is none.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

import streamlit as st

from socialrl.study.crossplay import (
    TABLE_FILE,
    Schedule,
    crossplay_study,
    payoff_matrix,
    read_crossplay,
)
from tests.test_app import app_on, array, charts, texts
from tests.test_app_helpers import build
from tests.test_crossplay import coordination_study


@pytest.fixture(autouse=True)
def fresh_caches() -> Any:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder with the study alone, and a copy of it with its cross-play."""
    results = tmp_path_factory.mktemp("results")
    build(results, coordination_study("without_crossplay", replications=2))
    study = build(results, coordination_study("conventions_app", replications=4))
    always = "strategy:fixed_action:action=0"
    crossplay_study([study], background=["all", always], schedule=Schedule(episodes=3, steps=5))
    return results


def test_the_heatmap_shows_the_matrix_and_its_n(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_on(root, monkeypatch)
    at.selectbox(key="study").set_value("conventions_app").run()
    at.switch_page("socialrl/app/pages/crossplay.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Cross-play"
    (figure,) = charts(at)
    heatmap = figure["data"][0]
    assert heatmap["type"] == "heatmap"
    found = read_crossplay(root / "conventions_app")
    assert found is not None
    expected = payoff_matrix(found[0])
    assert list(heatmap["y"]) == list(expected.index)  # the focal runs
    assert list(heatmap["x"]) == list(expected.columns)  # the runs, then the strategy
    z = array(heatmap["z"]).astype(float)
    np.testing.assert_array_equal(z, expected.to_numpy(dtype=float))
    assert (np.diag(z[:, :4]) == 2.0).all()  # each run coordinates with itself
    n = array(heatmap["customdata"]).astype(float)
    assert (n[np.isfinite(z)] == 3).all()  # 3 episodes behind every cell
    assert "n = 3 episodes per cell" in texts(at.caption)
    summary = at.dataframe[0].value
    assert summary["universalization"].iloc[0] == 2.0 and summary["n_cross_play"].iloc[0] == 12


def test_a_study_without_cross_play_says_how_to_compute_it(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_on(root, monkeypatch)
    at.selectbox(key="study").set_value("without_crossplay").run()
    at.switch_page("socialrl/app/pages/crossplay.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "socialrl crossplay" in texts(at.info) and not charts(at)


def test_a_cross_play_of_runs_the_study_no_longer_has_says_so(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    shutil.copytree(root / "conventions_app", results / "conventions_app")
    path = results / "conventions_app" / TABLE_FILE
    table = pd.read_parquet(path)
    table.loc[table["focal"] == table["focal"].iloc[0], "focal"] = "0123456789abcdef"
    table.to_parquet(path, index=False)
    at = app_on(results, monkeypatch, "crossplay")
    assert "1 run(s) that are no longer among the study's finished runs" in texts(at.warning)
    assert charts(at)  # still drawn, with the warning
