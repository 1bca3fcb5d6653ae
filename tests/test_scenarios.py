"""Scenario discovery (PRIM) with a known answer, and the app's Sensitivity page.

The linear function ``f = 2 x1 + x2`` (``x3`` has no effect) exceeds 2.2 in the triangle
``x1 > (2.2 − x2) / 2``: PRIM must limit ``x1`` from below, leave ``x3`` (nearly) free, and
report coverage and density that agree with counting the design points inside its box.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialrl.study import load_results, parse_study, run_study
from socialrl.study.scenarios import ScenarioError
from tests.test_designs import XS, function_study


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prim")
    data = function_study("prim", {"method": "lhs", "n": 400, "ranges": XS}, function="linear")
    run_study(parse_study(data), out=out, backend="local", workers=2)
    return out


def test_prim_finds_the_corner_where_the_linear_function_is_large(sampled: Path) -> None:
    found = load_results(sampled / "prim").scenarios("f", above=2.2)
    box = found.boxes.iloc[0]
    limits = found.limits.set_index("parameter")
    assert limits.at["model.x1", "restricted"] and 0.45 < limits.at["model.x1", "low"] < 0.9
    x3 = limits.loc["model.x3"]
    assert x3["high"] - x3["low"] > 0.8  # the input without effect keeps (nearly) its range
    assert box["density"] >= 0.8 and box["coverage"] > 0.5
    points = found.points
    inside = np.ones(len(points), dtype=bool)
    for name, row in limits.iterrows():
        inside &= (points[name] >= row["low"]).to_numpy() & (points[name] <= row["high"]).to_numpy()
    cases = points["case"].to_numpy()
    assert box["points"] == inside.sum() and box["cases"] == (inside & cases).sum()
    assert box["density"] == pytest.approx((inside & cases).sum() / inside.sum())
    assert box["coverage"] == pytest.approx((inside & cases).sum() / cases.sum())
    assert found.rule == "f > 2.2" and cases.sum() == (points["f"] > 2.2).sum()
    path = found.trajectory
    assert path["coverage"].iloc[0] == 1.0 and path["mass"].iloc[0] == 1.0  # the whole space
    assert path["mass"].iloc[-1] < 0.2 and path["density"].iloc[-1] > path["density"].iloc[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"above": 100.0}, "no design point has f > 100"),
        ({"below": 100.0}, "every design point has f < 100"),
        ({}, "above=… or below=…"),
        ({"above": 1.0, "below": 2.0}, "above=… or below=…"),
    ],
)
def test_impossible_cases_are_refused(sampled: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_results(sampled / "prim").scenarios("f", **options)


def test_an_unknown_outcome_names_the_columns(sampled: Path) -> None:
    with pytest.raises(ScenarioError, match="no outcome 'g' in the steps table; its columns"):
        load_results(sampled / "prim").scenarios("g", above=1.0)


def test_the_sensitivity_page_draws_indices_scatters_and_the_box(
    sampled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("streamlit")
    import streamlit as st

    from tests.test_app import app_on, charts

    sobol = function_study("sobol_page", {"method": "sobol", "n": 32, "ranges": XS})
    run_study(parse_study(sobol), out=tmp_path, backend="local", workers=2)
    st.cache_data.clear()
    at = app_on(tmp_path, monkeypatch, "sensitivity")
    figures = charts(at)
    assert len(figures) == 4  # indices, scatter, PRIM trade-off, the box over two parameters
    bars = {trace["name"] for trace in figures[0]["data"]}
    assert bars == {"S1", "ST"}
    assert "n = 160 sample rows" in " ".join(str(c.value) for c in at.caption)  # 32 (3 + 2)
    assert [m for m in at.markdown if "coverage" in str(m.value)]
    assert json.dumps(figures[3]["layout"].get("shapes", [])) != "[]"  # the box is drawn
    at.radio(key="sens_method").set_value("delta").run()
    assert not at.exception
    assert {t["name"] for t in charts(at)[0]["data"]} == {"delta", "S1"}


def test_show_prints_the_box_and_its_limits(sampled: Path) -> None:
    from tests.test_cli import invoke

    result = invoke("show", str(sampled / "prim"), "--scenario", "f", "--above", "2.2")
    assert result.exit_code == 0, result.output
    assert "where f > 2.2" in result.stdout and "model.x1" in result.stdout
    assert "coverage" in result.stdout and "density" in result.stdout
    refused = invoke("show", str(sampled / "prim"), "--scenario", "f")
    assert refused.exit_code != 0 and "above=… or below=…" in refused.output
