"""The app's Ratings page, run headless with Streamlit's AppTest (see ``test_app.py``).

A small league study (Q-learners in the iterated prisoner's dilemma against their own
snapshots, rated against tit-for-tat and always-defect, 3 seeds): the page must draw one line
per player whose points are the mean over runs of the ratings table, with n runs and games in
the hover data; one run shows its own ratings with ± σ; a study without ratings says how to
declare them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

import streamlit as st

from socialrl.study import load_results
from socialrl.study.spec import LEAGUE_LEARNER
from tests.test_app import app_on, array, charts, texts
from tests.test_app_helpers import build

PD = {
    "game": "prisoners_dilemma",
    "structure": {"kind": "network", "graph": "pairs", "n_players": 8},
    "observation": "memory1",
}


def league_study(name: str, ratings: bool = True) -> dict[str, Any]:
    """3 seeds of a shared Q-learner against its snapshots, rated every 200 of 600 steps."""
    league: dict[str, Any] = {"of": "learner", "snapshot_every": 100, "choose": "uniform"}
    if ratings:
        league["ratings"] = {
            "every": 200,
            "steps": 10,
            "past": 1,
            "anchors": [
                {"learner": "tit_for_tat"},
                {"learner": "fixed_action", "params": {"action": 1}, "name": "always_defect"},
            ],
        }
    return {
        "name": name,
        "seed": 11,
        "replications": 3,
        "model": {"name": "coordination", "params": PD},
        "population": [
            {
                "name": "learner",
                "learner": "q_learning",
                "agents": {"side": 0},
                "params": {"shared": True, "alpha": 0.5, "epsilon": 0.2},
            },
            {"name": "past", "agents": {"side": 1}, "league": league},
        ],
        "run": {"steps": 600, "record_every": 100},
    }


@pytest.fixture(autouse=True)
def fresh_caches() -> Any:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("results")
    build(results, league_study("league_rated"))
    build(results, league_study("league_unrated", ratings=False))
    return results


def open_page(root: Path, monkeypatch: pytest.MonkeyPatch, study: str) -> Any:
    at = app_on(root, monkeypatch)
    at.selectbox(key="study").set_value(study).run()
    at.switch_page("socialrl/app/pages/ratings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def lines(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in figure["data"] if t.get("mode") == "lines+markers"}


def test_the_rating_curve_is_the_mean_over_runs_with_its_n(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(root, monkeypatch, "league_rated")
    assert at.title[0].value == "Ratings"
    (figure,) = charts(at)
    drawn = lines(figure)
    assert list(drawn) == ["learner", "always_defect", "tit_for_tat"]  # past copies hidden
    table = load_results(root / "league_rated").table("ratings")
    assert table["run_id"].nunique() == 3
    for player, trace in drawn.items():
        mine = table[table["player"] == player]
        expected = mine.groupby("step")["ordinal"].mean()
        assert array(trace["x"]).astype(int).tolist() == [0, 200, 400, 600]
        np.testing.assert_allclose(array(trace["y"]).astype(float), expected.to_numpy())
        hover = array(trace["customdata"]).astype(float)
        assert (hover[:, 2] == 3).all()  # n = 3 runs behind every point
        np.testing.assert_allclose(hover[:, 3], mine.groupby("step")["games"].mean().to_numpy())
    assert "n = 3 runs" in texts(at.caption)
    matches = at.dataframe[0].value  # per step, player and opponent, summed over runs
    last = matches[(matches["step"] == 600) & (matches["opponent"] == "tit_for_tat")]
    assert last["runs"].tolist() == [3] and last["games"].tolist() == [3 * 4]  # 4 pairs a run
    assert len(at.dataframe[1].value) == 3 * 7  # 7 snapshots of each run


def test_one_run_shows_its_ratings_with_sigma(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(root, monkeypatch, "league_rated")
    run = at.selectbox(key="ratings_run").options[1]
    at.selectbox(key="ratings_run").set_value(run).run()
    at.radio(key="ratings_value").set_value("mu").run()
    assert not at.exception, [e.value for e in at.exception]
    (figure,) = charts(at)
    trace = lines(figure)["learner"]
    table = load_results(root / "league_rated").table("ratings")
    mine = table[(table["run_id"] == run) & (table["player"] == "learner")]
    np.testing.assert_allclose(array(trace["y"]).astype(float), mine["mu"].to_numpy())
    hover = array(trace["customdata"]).astype(float)
    np.testing.assert_allclose(hover[:, 1] - hover[:, 0], 2 * mine["sigma"].to_numpy())
    assert any(t["name"] == "learner ± σ" for t in figure["data"])


def test_a_study_without_ratings_says_how_to_declare_them(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(root, monkeypatch, "league_unrated")
    assert "[population.league.ratings]" in texts(at.info) and not charts(at)
    assert len(at.dataframe[0].value) == 3 * 7  # the snapshots still show
    assert LEAGUE_LEARNER in load_results(root / "league_unrated").runs.iloc[0].to_dict().values()
