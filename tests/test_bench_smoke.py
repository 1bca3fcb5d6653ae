"""The benchmark scripts run (a smoke test: no timings are asserted — benchmarks are scripts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_maze_benchmark_quick_run() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_maze.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "ns/agent-step" in out.stdout
    assert "10,000" in out.stdout


@pytest.mark.slow
def test_coordination_benchmark_quick_run() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_coordination.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "ns/agent-step" in out.stdout
    assert "10,000" in out.stdout and "targets:" in out.stdout


@pytest.mark.slow
def test_study_overhead_benchmark_small_run() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_study_overhead.py"),
            "--runs",
            "40",
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "study (local)" in out.stdout and "target" in out.stdout


@pytest.mark.slow
def test_dqn_benchmark_quick_run() -> None:
    pytest.importorskip("stable_baselines3")
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_dqn.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "Stable-Baselines3" in out.stdout and "targets:" in out.stdout


@pytest.mark.slow
def test_calvano_benchmark_small_run() -> None:
    """Both paths and a whole run of two markets to convergence (no full study)."""
    small = ["--markets=20", "--periods=2000", "--python-periods=300", "--run-markets=2"]
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_calvano.py"), *small],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "ns per session-period" in out.stdout
    assert "2 markets, a whole run to convergence" in out.stdout
    assert "ratio, whole run" in out.stdout
