"""Adaptive replications: seeds added per point until the outcome's interval is narrow enough.

Known answer: :class:`tests.sa_models.FunctionModel` reports ``f`` plus Gaussian noise of a
known s.d. ``σ``, so a point needs ``n* ≈ (t σ / h)²`` runs for a 95% half-width ``h``; with
batches of 20 every point must stop within one batch of the first multiple of 20 above ``n*``
— a point with twice the noise needs about four times the seeds.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from socialrl.study import load_results, parse_study, plan_study, run_study
from socialrl.study.spec import SpecError
from tests.study_helpers import write_toml

HALF_WIDTH, BATCH = 0.2, 20


def noisy_study(name: str = "adaptive", **adaptive: Any) -> dict[str, Any]:
    """One step of the linear function plus noise σ ∈ {0.5, 1}, adaptive on its value ``f``."""
    rule = {
        "outcome": "f",
        "half_width": HALF_WIDTH,
        "batch": BATCH,
        "max_replications": 400,
        **adaptive,
    }
    return {
        "name": name,
        "seed": 5,
        "replications": BATCH,
        "model": {"name": "tests.sa_models:FunctionModel", "params": {"function": "linear"}},
        "population": [{"role": "point", "learner": "random"}],
        "sweep": {"grid": {"model.noise": [0.5, 1.0]}},
        "run": {"steps": 1, "record_every": 1},
        "adaptive": rule,
    }


def expected_n(sigma: float) -> int:
    """The first multiple of the batch at which the half-width with the true σ is ≤ h."""
    n = BATCH
    while stats.t.ppf(0.975, n - 1) * sigma / math.sqrt(n) > HALF_WIDTH:
        n += BATCH
    return n


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adaptive")
    run_study(parse_study(noisy_study()), out=out, backend="local", workers=2)
    return out / "adaptive"


def test_each_point_stops_within_a_batch_of_the_expected_n(finished: Path) -> None:
    table = load_results(finished).adaptive
    assert list(table["model.noise"]) == [0.5, 1.0]
    for _, point in table.iterrows():
        wanted = expected_n(point["model.noise"])
        assert abs(point["replications"] - wanted) <= BATCH, (point.to_dict(), wanted)
        assert point["decision"] == "precise" and point["half_width"] <= HALF_WIDTH
        assert point["n"] == point["replications"]  # the run is the unit: one value each
    quiet, noisy = table["replications"]
    assert noisy >= 2 * quiet  # twice the noise: about four times the seeds (in batches)


def test_the_tables_hold_exactly_the_decided_runs(finished: Path) -> None:
    results = load_results(finished)
    counts = results.runs.groupby("model.noise")["replication"].agg(["count", "max"])
    decided = results.adaptive.set_index("model.noise")["replications"]
    assert (counts["count"] == decided).all() and (counts["max"] == decided - 1).all()
    assert results.status()["done"] == int(decided.sum())
    steps = results.steps
    assert len(steps) == int(decided.sum())
    # the interval the rule stopped on is the one the summary shows
    summary = results.summary("steps", "f", by=["model.noise"], per_run="last")
    half = (summary["ci95_high"] - summary["ci95_low"]) / 2
    assert np.allclose(half.to_numpy(), results.adaptive["half_width"].to_numpy())
    rounds = results.adaptive_rounds()
    assert rounds["round"].max() + 1 == len(
        json.loads((finished / "adaptive.json").read_text())["rounds"]
    )


def test_an_interrupted_study_resumes_to_the_same_decisions(finished: Path, tmp_path: Path) -> None:
    copy = tmp_path / "adaptive"
    shutil.copytree(finished, copy)
    results = load_results(copy)
    late = results.runs[results.runs["replication"] >= 2 * BATCH]["run_id"]
    assert len(late) > 0
    for run_id in late:  # as if the study had been stopped after its second round
        shutil.rmtree(copy / "runs" / run_id)
    (copy / "adaptive.json").unlink()
    report = run_study(parse_study(noisy_study()), out=tmp_path, backend="sequential")
    assert report.done == len(late) and report.skipped == report.total - len(late)
    again = load_results(copy)
    columns = ["point", "replications", "n", "mean", "half_width", "decision"]
    assert again.adaptive[columns].equals(load_results(finished).adaptive[columns])
    assert again.steps["f"].to_numpy().tolist() == load_results(finished).steps["f"].tolist()


def test_a_finished_study_runs_nothing_again(finished: Path, tmp_path: Path) -> None:
    shutil.copytree(finished, tmp_path / "adaptive")
    report = run_study(parse_study(noisy_study()), out=tmp_path, backend="sequential")
    assert report.done == 0 and report.skipped == report.total


def test_the_cap_stops_a_point_that_never_gets_precise(tmp_path: Path) -> None:
    data = noisy_study("capped", max_replications=40)
    run_study(parse_study(data), out=tmp_path, backend="sequential")
    table = load_results(tmp_path / "capped").adaptive.set_index("model.noise")
    assert table.loc[1.0, "decision"] == "cap" and table.loc[1.0, "replications"] == 40
    assert table.loc[1.0, "half_width"] > HALF_WIDTH


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"outcome": "profit"}, "key 'adaptive.outcome': no column 'profit' in the steps table"),
        ({"table": "markets"}, "key 'adaptive.table': the model writes no table 'markets'"),
        ({"max_replications": 10}, "key 'adaptive.max_replications': 10 is below replications"),
        ({"half_width": 0}, "key 'adaptive.half_width': Input should be greater than 0"),
        ({"half_width": -1}, "key 'adaptive.half_width': Input should be greater than 0"),
        ({"per_run": "median"}, "key 'adaptive.per_run'"),
        ({"target": 0.1}, "unknown key 'adaptive.target'; allowed: outcome, table"),
    ],
)
def test_bad_rules_are_refused_before_any_run(
    tmp_path: Path, rule: dict[str, Any], message: str
) -> None:
    path = write_toml(tmp_path / "study.toml", noisy_study(**rule))
    with pytest.raises(SpecError) as err:
        plan_study(path)
    assert message in str(err.value) and str(path) in str(err.value)
    assert not (tmp_path / "results").exists()
