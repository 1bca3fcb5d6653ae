"""Sampled designs and sensitivity analysis, with known answers through real studies.

The Ishigami function's analytic Sobol indices (REFERENCES.md) and a linear function's
(``c_i² / Σ c²``) must lie within the bootstrap intervals SALib gives from a study of the tiny
:class:`tests.sa_models.FunctionModel`; Morris must rank the influential inputs first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialrl.study import expand, load_results, parse_study, run_study
from socialrl.study.sensitivity import SensitivityError
from tests.study_helpers import tiny_study, write_toml

ROOT = Path(__file__).resolve().parents[1]
UNIT = {"low": 0.0, "high": 1.0}
XS = {"model.x1": UNIT, "model.x2": UNIT, "model.x3": UNIT}


def function_study(name: str, sample: dict[str, Any], **params: Any) -> dict[str, Any]:
    """A study of one step of :class:`tests.sa_models.FunctionModel` over a sampled design."""
    return {
        "name": name,
        "seed": 11,
        "model": {"name": "tests.sa_models:FunctionModel", "params": params},
        "population": [{"role": "point", "learner": "random"}],
        "sweep": {"sample": sample},
        "run": {"steps": 1, "record_every": 1},
    }


def _run(tmp_path: Path, data: dict[str, Any]) -> Any:
    run_study(parse_study(data), out=tmp_path, backend="local", workers=2)
    return load_results(tmp_path / data["name"])


# ----------------------------------------------------------------------------- designs
@pytest.mark.parametrize(
    ("method", "extra", "points"),
    [
        ("lhs", {}, 16),
        ("halton", {}, 16),
        ("sobol_sequence", {}, 16),
        ("random", {}, 16),
        ("sobol", {}, 16 * (4 + 2)),
        ("sobol", {"second_order": True}, 16 * (2 * 4 + 2)),
        ("morris", {"levels": 4}, 16 * (4 + 1)),
    ],
)
def test_each_method_draws_its_points_on_the_declared_ranges(
    method: str, extra: dict[str, Any], points: int
) -> None:
    ranges = {
        "population.walker.alpha": {"low": 0.1, "high": 0.9},
        "population.walker.gamma": {"low": 0.5, "high": 0.99, "scale": "log"},
        "model.n_walkers": {"low": 1, "high": 4, "kind": "integer"},
        "model.layout": {"values": ["S..G", "S.#\n..G"]},
    }
    data = tiny_study(
        "sampled", sweep={"sample": {"method": method, "n": 16, "ranges": ranges, **extra}}
    )
    data["replications"] = 1
    runs = expand(parse_study(data))
    assert len(runs) == points
    alpha = np.array([r.swept["population.walker.alpha"] for r in runs])
    gamma = np.array([r.swept["population.walker.gamma"] for r in runs])
    walkers = {r.swept["model.n_walkers"] for r in runs}
    assert ((alpha >= 0.1) & (alpha <= 0.9)).all() and ((gamma >= 0.5) & (gamma <= 0.99)).all()
    assert walkers <= {1, 2, 3, 4} and all(isinstance(w, int) for w in walkers)
    assert {r.swept["model.layout"] for r in runs} <= {"S..G", "S.#\n..G"}
    assert [r.sample for r in runs] == list(range(points))
    again = expand(parse_study(data))  # the same spec, the same design and run ids
    assert [r.run_id for r in again] == [r.run_id for r in runs]
    assert len({r.run_id for r in runs}) == points  # rows that repeat stay distinct runs


def test_a_latin_hypercube_fills_every_stratum() -> None:
    data = tiny_study(
        "lhs",
        sweep={"sample": {"method": "lhs", "n": 10, "ranges": {"population.walker.alpha": UNIT}}},
    )
    data["replications"] = 1
    u = np.array([r.swept["population.walker.alpha"] for r in expand(parse_study(data))])
    assert sorted((u * 10).astype(int).tolist()) == list(range(10))  # one point per tenth


def test_a_sample_crosses_with_a_grid_and_resumes(tmp_path: Path) -> None:
    data = tiny_study(
        "crossed",
        sweep={
            "grid": {"population.walker.epsilon": [0.1, 0.5]},
            "sample": {
                "method": "lhs",
                "n": 3,
                "ranges": {"population.walker.alpha": {"low": 0.2, "high": 0.8}},
            },
        },
    )
    study = write_toml(tmp_path / "crossed.toml", data)
    first = run_study(study, out=tmp_path / "out", backend="sequential")
    assert (first.total, first.done) == (2 * 3 * 2, 12)
    again = run_study(study, out=tmp_path / "out", backend="sequential")
    assert (again.skipped, again.done) == (12, 0)
    runs = load_results(tmp_path / "out" / "crossed").runs
    assert sorted(runs["sample"].unique().tolist()) == [0, 1, 2]


# ----------------------------------------------------------------------------- known answers
@pytest.mark.slow
def test_sobol_indices_of_the_ishigami_function_through_a_study(tmp_path: Path) -> None:
    """S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437 (a = 7, b = 0.1)."""
    results = _run(
        tmp_path, function_study("ishigami", {"method": "sobol", "n": 1024, "ranges": XS})
    )
    indices = results.sensitivity("f").set_index("parameter")
    assert (indices["n"] == 1024 * 5).all()
    for name, s1, st in (
        ("model.x1", 0.3139, 0.5576),
        ("model.x2", 0.4424, 0.4424),
        ("model.x3", 0.0, 0.2437),
    ):
        row = indices.loc[name]
        assert abs(row["S1"] - s1) <= row["S1_conf"], (name, row.to_dict())
        assert abs(row["ST"] - st) <= row["ST_conf"], (name, row.to_dict())


def test_sobol_indices_of_a_linear_function_through_a_study(tmp_path: Path) -> None:
    """f = 2 x1 + x2 + 0 x3 on uniform inputs: S = ST = 4/5, 1/5, 0."""
    results = _run(
        tmp_path,
        function_study("linear", {"method": "sobol", "n": 256, "ranges": XS}, function="linear"),
    )
    indices = results.sensitivity("f").set_index("parameter")
    for name, share in (("model.x1", 0.8), ("model.x2", 0.2), ("model.x3", 0.0)):
        row = indices.loc[name]
        assert abs(row["S1"] - share) <= max(row["S1_conf"], 1e-9), (name, row.to_dict())
        assert abs(row["ST"] - share) <= max(row["ST_conf"], 1e-9), (name, row.to_dict())


def test_morris_ranks_the_influential_inputs_first(tmp_path: Path) -> None:
    results = _run(
        tmp_path,
        function_study("morris", {"method": "morris", "n": 12, "ranges": XS}, function="linear"),
    )
    indices = results.sensitivity("f")
    assert indices.sort_values("mu_star", ascending=False)["parameter"].tolist() == [
        "model.x1",
        "model.x2",
        "model.x3",
    ]
    mu_star = indices.set_index("parameter")["mu_star"]
    assert mu_star["model.x1"] == pytest.approx(2.0) and mu_star["model.x3"] == 0.0  # slopes


def test_the_model_free_delta_works_on_any_design(tmp_path: Path) -> None:
    results = _run(
        tmp_path,
        function_study("delta", {"method": "lhs", "n": 400, "ranges": XS}, function="linear"),
    )
    indices = results.sensitivity("f").set_index("parameter")  # the default for an LHS design
    assert indices["delta"].idxmax() == "model.x1" and indices["delta"].idxmin() == "model.x3"


# ----------------------------------------------------------------------------- refusals
def test_sensitivity_needs_a_sampled_design_and_a_real_outcome(tmp_path: Path) -> None:
    grid = tiny_study("grid_only")
    run_study(parse_study(grid), out=tmp_path, backend="sequential")
    with pytest.raises(SensitivityError, match="needs a sampled design"):
        load_results(tmp_path / "grid_only").sensitivity("mean_distance_to_goal")
    results = _run(tmp_path, function_study("lhs", {"method": "lhs", "n": 8, "ranges": XS}))
    with pytest.raises(SensitivityError, match="no outcome 'g' in the steps table; its columns:"):
        results.sensitivity("g")
    with pytest.raises(SensitivityError, match="sobol indices need a sobol design"):
        results.sensitivity("f", method="sobol")


def test_show_sensitivity_prints_the_indices(tmp_path: Path) -> None:
    _run(
        tmp_path,
        function_study("shown", {"method": "morris", "n": 6, "ranges": XS}, function="linear"),
    )
    proc = _show(tmp_path / "shown", "--sensitivity", "f")
    assert proc.returncode == 0, proc.stderr
    assert "sensitivity of f" in proc.stdout and "mu_star" in proc.stdout
    bad = _show(tmp_path / "shown", "--sensitivity", "g")
    assert bad.returncode == 2 and "no outcome 'g'" in bad.stderr and "Traceback" not in bad.stderr


def _show(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``socialrl show FOLDER ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "socialrl.cli", "show", str(folder), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
