"""The benchmark scripts run (a smoke test: no timings are asserted — benchmarks are scripts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench(script: str, *args: str) -> str:
    """Run ``bench/<script> <args>`` and return what it printed (it must exit 0)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return out.stdout


@pytest.mark.slow
def test_maze_benchmark_quick_run() -> None:
    printed = _bench("bench_maze.py", "--quick")
    assert "ns/agent-step" in printed
    assert "10,000" in printed
    assert "logical CPUs" in printed  # bench/machine.py


@pytest.mark.slow
def test_coordination_benchmark_quick_run() -> None:
    printed = _bench("bench_coordination.py", "--quick")
    assert "ns/agent-step" in printed
    assert "10,000" in printed and "targets:" in printed


@pytest.mark.slow
def test_study_overhead_benchmark_small_run() -> None:
    printed = _bench("bench_study_overhead.py", "--runs", "40", "--repeat", "1")
    assert "study (local)" in printed and "target" in printed


@pytest.mark.slow
def test_dqn_benchmark_quick_run() -> None:
    pytest.importorskip("stable_baselines3")
    printed = _bench("bench_dqn.py", "--quick")
    assert "Stable-Baselines3" in printed and "targets:" in printed


@pytest.mark.slow
def test_calvano_benchmark_small_run() -> None:
    """Both paths and a whole run of two markets to convergence (no full study)."""
    small = ["--markets=20", "--periods=2000", "--python-periods=300", "--run-markets=2"]
    printed = _bench("bench_calvano.py", *small)
    assert "ns per session-period" in printed
    assert "2 markets, a whole run to convergence" in printed
    assert "ratio, whole run" in printed


@pytest.mark.slow
def test_fig1_map_benchmark_on_a_tiny_map(tmp_path: Path) -> None:
    """The map bench on a 2 × 2 map of quick markets: its figures and the extrapolation."""
    from tests.study_helpers import pricing_study, write_toml

    grid = {"population.firm.alpha": [0.1, 0.3], "population.firm.epsilon.beta": [5e-3, 1e-2]}
    study = write_toml(
        tmp_path / "tiny_map.toml",
        pricing_study("tiny_map", n_markets=3, seed=4, sweep={"grid": grid}),
    )
    printed = _bench(
        "bench_fig1_map.py", "--study", str(study), "--markets=5", "--periods=2000", "--workers=2"
    )
    assert "ns per session-period per core" in printed and "ratio to (1)" in printed
    assert printed.count("(n = 6 markets)") == 5  # four corners and the centre
    assert "core-hours" in printed


@pytest.mark.slow
def test_search_benchmark_quick_run() -> None:
    pytest.importorskip("torch")
    printed = _bench("bench_search.py", "--quick")
    assert printed.count("sims/s") == 4 and "ratio" in printed and "target" in printed


@pytest.mark.slow
def test_board_benchmark_runs() -> None:
    printed = _bench("bench_board.py")
    assert "ns per position" in printed and "positions a second" in printed
