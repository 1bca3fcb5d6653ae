"""A study killed with ``kill -9`` resumes: finished runs kept byte for byte, the rest run once."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from socialrl.study import StudyLockedError, load_results, plan_study, run_study
from socialrl.study.store import StudyLock
from tests.study_helpers import SMALL_MAZE, write_toml

ROOT = Path(__file__).resolve().parents[1]

#: 2 points × 20 seeds = 40 runs of about 0.1 s each (more on a busy machine).
STUDY = {
    "name": "killed",
    "seed": 5,
    "replications": 20,
    "model": {"name": "maze", "params": {"layout": SMALL_MAZE, "n_walkers": 4}},
    "population": [{"role": "walker", "learner": "q_learning", "params": {"alpha": 0.5}}],
    "sweep": {"grid": {"population.walker.epsilon": [0.1, 0.3]}},
    "run": {"steps": 200, "record_every": 50, "snapshot_every": 100},
}


def finished_folders(runs: Path) -> list[Path]:
    """Run folders in place (temporary ones excluded)."""
    if not runs.exists():
        return []
    return [p for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".tmp-")]


def folder_digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def start_study(study: Path, out: Path, log: Path) -> subprocess.Popen[bytes]:
    """``socialrl run STUDY --out OUT --workers 2`` in a new session (its own process group)."""
    command = [sys.executable, "-m", "socialrl.cli", "run", str(study)]
    with log.open("w") as fh:
        return subprocess.Popen(
            [*command, "--out", str(out), "--workers", "2"],
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_for_runs(proc: subprocess.Popen[bytes], runs_dir: Path, n: int) -> None:
    """Wait until ``n`` runs are finished while the study still runs."""
    deadline = time.monotonic() + 90
    while len(finished_folders(runs_dir)) < n:
        assert proc.poll() is None, "the study ended before it could be killed"
        assert time.monotonic() < deadline, f"{n} runs did not finish in 90 s"
        time.sleep(0.02)


def wait_for_lock(folder: Path, seconds: float) -> None:
    """Wait until no process holds the study's lock (raises after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with StudyLock(folder):
                return
        except StudyLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL whatever is left of the study's process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
def test_kill_minus_9_then_resume(tmp_path: Path) -> None:
    study = write_toml(tmp_path / "killed.toml", STUDY)
    out = tmp_path / "results"
    runs_dir = out / "killed" / "runs"
    _, _, plan = plan_study(study)
    ids = {r.run_id for r in plan}
    assert len(ids) == 40

    proc = start_study(study, out, tmp_path / "study.log")
    try:
        wait_for_runs(proc, runs_dir, 5)
        before = {p.name: folder_digests(p) for p in finished_folders(runs_dir)}
        os.killpg(proc.pid, signal.SIGKILL)  # the study process and its workers
        proc.wait(timeout=30)
    finally:
        kill_group(proc)
    assert proc.returncode == -signal.SIGKILL
    # the killed workers release the lock a moment after the study process is reaped
    wait_for_lock(out / "killed", seconds=15)
    killed_with = {p.name for p in finished_folders(runs_dir)}
    assert len(before) >= 5 and len(killed_with) < 40, "the kill came after the study ended"
    assert set(before) <= killed_with <= ids

    report = run_study(study, out=out, backend="local", workers=2)
    assert (report.total, report.skipped, report.failed) == (40, len(killed_with), 0)
    assert report.done == 40 - len(killed_with)

    folders = sorted(p.name for p in runs_dir.iterdir())
    assert not [name for name in folders if name.startswith(".tmp-")]
    assert folders == sorted(ids)  # every run of the plan, exactly once
    results = load_results(out / "killed")
    assert results.status() == {"done": 40, "failed": 0, "pending": 0, "damaged": 0}
    assert sorted(results.runs["run_id"]) == sorted(ids)
    assert results.episodes.groupby("run_id").ngroups == 40
    for name, digests in before.items():  # finished before the kill: not one byte changed
        assert folder_digests(runs_dir / name) == digests, name


@pytest.mark.slow
def test_kill_minus_9_of_the_study_process_alone_then_resume(tmp_path: Path) -> None:
    study = write_toml(tmp_path / "killed.toml", STUDY)
    out = tmp_path / "results"
    proc = start_study(study, out, tmp_path / "study.log")
    try:
        wait_for_runs(proc, out / "killed" / "runs", 1)
        os.kill(proc.pid, signal.SIGKILL)  # the study process only, as the OOM killer would
        proc.wait(timeout=30)
        wait_for_lock(out / "killed", seconds=3)
        report = run_study(study, out=out, backend="local", workers=2)
        assert report.done + report.skipped == 40
    finally:
        kill_group(proc)  # the orphaned workers are still in the study's process group
