"""The ``socialrl`` command: list, run, show, export, and its errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from socialrl.cli import app
from socialrl.study.store import StudyLock
from tests.study_helpers import tiny_study, write_toml

ROOT = Path(__file__).resolve().parents[1]
#: A wide console, so that rich wraps no line of what is asserted on.
WIDE = {"COLUMNS": "250"}

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=WIDE)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_toml(tmp_path / "tiny.toml", tiny_study())


def test_list_shows_models_learners_and_studies() -> None:
    result = invoke("list", "--studies", str(ROOT / "studies"))
    assert result.exit_code == 0, result.output
    rows = {tuple(line.split("│")[1:3]) for line in result.stdout.splitlines() if "│" in line}
    rows = {(kind.strip(), name.strip()) for kind, name in rows}
    assert {("model", "maze"), ("learner", "q_learning"), ("learner", "random")} <= rows
    assert {("model", "gymnasium"), ("strategy", "tit_for_tat")} <= rows
    assert ("study", "maze_learning") in rows
    assert ("tournament", "axelrod_tournament") in rows  # a tournament is not a study
    assert "socialrl_models.maze.model:MazeModel" in result.stdout
    assert "socialrl/Maze-v0" in result.stdout  # the plugin's Gymnasium id
    assert "offered by model coordination" in result.stdout
    assert str(ROOT / "studies" / "maze_learning.toml") in result.stdout
    assert str(ROOT / "studies" / "maze_learning.py") in result.stdout


def test_run_show_and_export(tmp_path: Path, tiny: Path) -> None:
    out = tmp_path / "results"
    result = invoke("run", str(tiny), "--out", str(out), "--workers", "2")
    assert result.exit_code == 0, result.output
    assert f"{out / 'tiny'}: 4 runs done, 0 failed, 0 skipped" in result.stdout
    assert "tiny: 4 done, 0 failed, 0 pending" in result.stdout
    assert "tiny: summary" in result.stdout  # the maze's study summary table
    assert len(list((out / "tiny" / "runs").iterdir())) == 4

    again = invoke("run", str(tiny), "--out", str(out), "--backend", "sequential")
    assert again.exit_code == 0, again.output
    assert "resuming: 4 finished runs skipped" in again.stdout
    assert "0 runs done, 0 failed, 4 skipped" in again.stdout

    fresh = invoke("run", str(tiny), "--out", str(out), "--backend", "sequential", "--fresh")
    assert fresh.exit_code == 0, fresh.output
    assert "4 runs done, 0 failed, 0 skipped" in fresh.stdout

    shown = invoke("show", str(out / "tiny"))
    assert shown.exit_code == 0, shown.output
    assert "tiny: 4 done, 0 failed, 0 pending" in shown.stdout
    assert "tiny: summary" in shown.stdout

    exported = invoke("export", str(out / "tiny"), "--format", "csv", "--to", str(tmp_path / "x"))
    assert exported.exit_code == 0, exported.output
    for name in ("runs", "steps", "episodes", "agents"):
        path = tmp_path / "x" / f"{name}.csv"
        assert str(path) in exported.stdout
        assert len(pd.read_csv(path)) > 0
    assert len(pd.read_csv(tmp_path / "x" / "runs.csv")) == 4

    default = invoke("export", str(out / "tiny"), "--format", "parquet")
    assert default.exit_code == 0, default.output
    episodes = pd.read_parquet(out / "tiny" / "export" / "episodes.parquet")
    assert episodes["run_id"].nunique() == 4


def test_failed_runs_exit_1_and_are_reported(tmp_path: Path) -> None:
    data = tiny_study(
        "exploding",
        population=[{"role": "walker", "learner": "tests.study_helpers:Exploding"}],
        sweep={"grid": {"population.walker.explode": [False, True]}},
    )
    study = write_toml(tmp_path / "exploding.toml", data)
    result = invoke("run", str(study), "--out", str(tmp_path), "--backend", "sequential")
    assert result.exit_code == 1, result.output
    assert result.stdout.count("failed: RuntimeError: boom") >= 2
    assert "2 runs done, 2 failed" in result.stdout


def test_bad_study_exits_2_with_one_error_line(tmp_path: Path) -> None:
    data = tiny_study("bad")
    data["run"]["stepz"] = 10
    study = write_toml(tmp_path / "bad.toml", data)
    result = invoke("run", str(study), "--out", str(tmp_path / "results"))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {study}: unknown key 'run.stepz'; allowed: steps")
    assert "Traceback" not in result.output
    assert not (tmp_path / "results").exists()

    missing = invoke("run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "results"))
    assert missing.exit_code == 2
    assert (
        missing.stderr.startswith("error: ") and "nope.toml: no such study file" in missing.stderr
    )


def test_bad_options_exit_2(tmp_path: Path, tiny: Path) -> None:
    result = invoke("run", str(tiny), "--backend", "nonsense", "--out", str(tmp_path / "r"))
    assert result.exit_code == 2
    assert "error: --backend must be local, sequential or ray, got 'nonsense'" in result.stderr
    assert not (tmp_path / "r").exists()

    fmt = invoke("export", str(tmp_path), "--format", "xlsx")
    assert fmt.exit_code == 2 and "--format must be csv or parquet" in fmt.stderr
    nothing = invoke("show", str(tmp_path))
    assert nothing.exit_code == 2 and "no manifest.json" in nothing.stderr


def test_locked_results_folder_exits_2(tmp_path: Path, tiny: Path) -> None:
    with StudyLock(tmp_path / "tiny"):
        result = invoke("run", str(tiny), "--out", str(tmp_path), "--backend", "sequential")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "is being written by pid" in result.stderr


def test_error_is_one_line_at_the_default_width(tmp_path: Path) -> None:
    """80 columns: what rich uses when stderr is not a terminal and COLUMNS is unset."""
    data = tiny_study("bad")
    data["modle"] = {"name": "maze"}
    study = write_toml(tmp_path / "bad.toml", data)
    result = runner.invoke(
        app, ["run", str(study), "--out", str(tmp_path / "r")], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {study}: unknown key 'modle'")


def test_run_and_show_a_maze_study_without_a_sweep(tmp_path: Path) -> None:
    study = write_toml(tmp_path / "plain.toml", tiny_study("plain", sweep={}))
    result = invoke("run", str(study), "--out", str(tmp_path), "--backend", "sequential")
    assert result.exit_code == 0, repr(result.exception)
    shown = invoke("show", str(tmp_path / "plain"))
    assert shown.exit_code == 0, repr(shown.exception)
    assert "plain: 2 done" in shown.stdout


def test_run_says_a_tournament_file_is_played_by_socialrl_tournament(tmp_path: Path) -> None:
    result = invoke(
        "run", str(ROOT / "studies" / "axelrod_tournament.toml"), "--out", str(tmp_path)
    )
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "play it with `socialrl tournament" in lines[0]
    assert not any(tmp_path.iterdir())
