"""Studies: specs in TOML and Python, sweeps, spec errors, backends, failed runs, results,
resuming, locking and early stopping."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from socialrl import registry
from socialrl.run import simulate
from socialrl.study import (
    GroupSpec,
    ModelSpec,
    RunSettings,
    SpecError,
    StudyLockedError,
    StudySpec,
    SweepSpec,
    expand,
    load_results,
    load_study,
    parse_study,
    plan_study,
    run_study,
)
from socialrl.study.store import StudyLock
from tests.study_helpers import SMALL_MAZE, TINY_MAZE, tiny_study, write_toml

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("steps", "episodes", "agents")


def spec(**overrides: Any) -> StudySpec:
    """The tiny study of :mod:`tests.study_helpers`, parsed as if read from ``tiny.toml``."""
    return parse_study(tiny_study(**overrides), source="tiny.toml")


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_tables(study_dir: Path, run_id: str) -> dict[str, pd.DataFrame]:
    """The three tables of one finished run, read from its folder."""
    return {
        name: pd.read_parquet(study_dir / "runs" / run_id / f"{name}.parquet") for name in TABLES
    }


def assert_same_tables(a: Path, b: Path, run_ids: list[str]) -> None:
    """Every run's tables are equal in two study folders (and the runs are not all alike)."""
    episodes = []
    for run_id in run_ids:
        left, right = run_tables(a, run_id), run_tables(b, run_id)
        for name in TABLES:
            pd.testing.assert_frame_equal(left[name], right[name], obj=f"{run_id}/{name}")
        episodes.append(left["episodes"])
    assert all(len(e) > 0 for e in episodes)
    assert not episodes[0].equals(episodes[1])  # two seeds: a comparison with teeth


# ----------------------------------------------------------------------------- specs and sweeps
def test_toml_and_python_specs_give_identical_runs() -> None:
    toml_spec, toml_source, toml_runs = plan_study(ROOT / "studies" / "maze_learning.toml")
    py_spec, py_source, py_runs = plan_study(ROOT / "studies" / "maze_learning.py")
    assert toml_source.endswith("maze_learning.toml") and py_source.endswith("maze_learning.py")
    assert len(toml_runs) == 3 * 3 * 20
    assert len({r.run_id for r in toml_runs}) == len(toml_runs)
    assert [r.run_id for r in toml_runs] == [r.run_id for r in py_runs]
    assert [r.to_dict() for r in toml_runs] == [r.to_dict() for r in py_runs]
    assert toml_spec.to_dict() == py_spec.to_dict()
    # the manifest's plain data rebuilds the same study
    assert [r.run_id for r in expand(StudySpec(**toml_spec.to_dict()))] == [
        r.run_id for r in toml_runs
    ]


def test_grid_is_a_full_factorial_times_replications() -> None:
    layouts, epsilons = ["dyna", TINY_MAZE], [0.0, 0.1, 0.5]
    study = spec(
        replications=2,
        sweep={"grid": {"model.layout": layouts, "population.walker.epsilon": epsilons}},
    )
    runs = expand(study)
    assert len(runs) == 2 * 3 * 2
    assert [(r.point, r.replication) for r in runs] == [(p, k) for p in range(6) for k in range(2)]
    points = [(r.swept["model.layout"], r.swept["population.walker.epsilon"]) for r in runs[::2]]
    assert points == list(itertools.product(layouts, epsilons))
    for r in runs:
        assert r.model_params == {
            "layout": r.swept["model.layout"],
            "n_walkers": 3,
            "max_episode_steps": 40,
        }
        assert r.groups[0].params == {"alpha": 0.5, "epsilon": r.swept["population.walker.epsilon"]}
        assert r.run.steps == 120
    assert len({r.run_id for r in runs}) == len(runs)
    assert [r.run_id for r in plan_study(study)[2]] == [r.run_id for r in runs]


def test_zip_walks_equal_lists_together() -> None:
    study = spec(
        replications=1,
        sweep={"zip": {"model.n_walkers": [2, 3, 4], "population.walker.epsilon": [0.1, 0.2, 0.3]}},
    )
    runs = expand(study)
    assert [(r.model_params["n_walkers"], r.groups[0].params["epsilon"]) for r in runs] == [
        (2, 0.1),
        (3, 0.2),
        (4, 0.3),
    ]


def test_zip_of_unequal_lists_is_an_error() -> None:
    study = spec(
        sweep={"zip": {"model.n_walkers": [2, 3], "population.walker.epsilon": [0.1, 0.2, 0.3]}}
    )
    with pytest.raises(SpecError, match=r"^z\.toml: key 'sweep\.zip': .*equal lengths"):
        expand(study, "z.toml")


def test_explicit_points_and_their_product_with_a_grid_and_a_zip() -> None:
    points = [{"model.layout": "dyna"}, {"model.layout": TINY_MAZE, "model.n_walkers": 2}]
    runs = expand(spec(replications=1, sweep={"points": points}))
    assert [r.swept for r in runs] == points
    assert [(r.model_params["layout"], r.model_params["n_walkers"]) for r in runs] == [
        ("dyna", 3),
        (TINY_MAZE, 2),
    ]

    both = expand(
        spec(
            replications=1,
            sweep={"grid": {"population.walker.epsilon": [0.1, 0.5]}, "points": points},
        )
    )
    got = [
        (r.groups[0].params["epsilon"], r.model_params["layout"], r.model_params["n_walkers"])
        for r in both
    ]
    assert sorted(got) == sorted(
        (e, layout, n) for e in (0.1, 0.5) for layout, n in (("dyna", 3), (TINY_MAZE, 2))
    )
    assert len({r.run_id for r in both}) == 4

    three = expand(
        spec(
            replications=1,
            sweep={
                "grid": {"population.walker.epsilon": [0.1, 0.5]},
                "zip": {"model.layout": ["dyna", TINY_MAZE], "model.n_walkers": [3, 2]},
                "points": [{"population.walker.alpha": 0.5}, {"population.walker.alpha": 1.0}],
            },
        )
    )
    assert len(three) == 2 * 2 * 2
    assert {
        (r.groups[0].params["epsilon"], r.model_params["layout"], r.groups[0].params["alpha"])
        for r in three
    } == set(itertools.product([0.1, 0.5], ["dyna", TINY_MAZE], [0.5, 1.0]))
    assert all(
        (r.model_params["layout"], r.model_params["n_walkers"]) in {("dyna", 3), (TINY_MAZE, 2)}
        for r in three
    )


def test_run_ids_are_stable_and_seeds_are_common_random_numbers() -> None:
    sweep = {"grid": {"population.walker.epsilon": [0.1, 0.2, 0.5]}}
    runs = expand(spec(replications=3, sweep=sweep))
    again = expand(spec(replications=3, sweep=sweep))
    assert [r.run_id for r in runs] == [r.run_id for r in again]
    assert [r.seed for r in runs] == [r.seed for r in again]
    assert len({r.run_id for r in runs}) == 9  # distinct across points and replications

    seeds = {p: [r.seed for r in runs if r.point == p] for p in range(3)}
    assert seeds[0] == seeds[1] == seeds[2]  # the same draws at every sweep point
    assert len(set(seeds[0])) == 3  # and independent ones across replications
    assert [r.replication for r in runs if r.point == 0] == [0, 1, 2]

    # more replications extend the study: the runs there are keep their seeds and ids
    more = expand(spec(replications=5, sweep=sweep))
    assert {r.run_id for r in runs} < {r.run_id for r in more}

    # another study seed: other seeds, other ids
    other = expand(spec(seed=12, replications=3, sweep=sweep))
    assert not {r.seed for r in other} & {r.seed for r in runs}
    assert not {r.run_id for r in other} & {r.run_id for r in runs}

    # ids describe the content: a fixed parameter changes every id, the seeds stay
    wider = expand(
        spec(
            replications=3,
            sweep=sweep,
            model={"name": "maze", "params": {"layout": "dyna", "n_walkers": 4}},
        )
    )
    assert not {r.run_id for r in wider} & {r.run_id for r in runs}
    assert [r.seed for r in wider] == [r.seed for r in runs]


# ----------------------------------------------------------------------------- spec errors
# The table of malformed study files is in tests/test_bad_input.py.


def test_unreadable_study_files_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"nope\.toml: no such study file"):
        load_study(tmp_path / "nope.toml")
    (tmp_path / "broken.toml").write_text("name = 'x\n")
    with pytest.raises(SpecError, match=r"broken\.toml: not valid TOML"):
        load_study(tmp_path / "broken.toml")
    (tmp_path / "study.yaml").write_text("name: x\n")
    with pytest.raises(SpecError, match=r"study\.yaml: a study is a \.toml or \.py file"):
        load_study(tmp_path / "study.yaml")
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(SpecError, match=r"empty\.py: a Python study must define `study"):
        load_study(tmp_path / "empty.py")


def test_python_study_with_an_unknown_key_is_a_spec_error(tmp_path: Path) -> None:
    study = tmp_path / "typo.py"
    study.write_text(
        textwrap.dedent(
            """
            from socialrl.study import GroupSpec, ModelSpec, RunSettings, StudySpec

            study = StudySpec(
                name="typo",
                model=ModelSpec(name="maze"),
                population=[GroupSpec(learner="q_learning")],
                run=RunSettings(steps=10, stepz=3),
            )
            """
        )
    )
    with pytest.raises(SpecError, match=r"typo\.py: .*stepz"):
        load_study(study)


def test_bad_swept_run_setting_is_a_spec_error_before_anything_runs(tmp_path: Path) -> None:
    study = spec(sweep={"grid": {"run.steps": [50, 0]}})
    with pytest.raises(SpecError, match=r"run\.steps"):
        plan_study(study)


def test_python_study_with_numpy_sweep_values_runs(tmp_path: Path) -> None:
    study = StudySpec(
        name="numpy_sweep",
        model=ModelSpec(name="maze", params={"layout": TINY_MAZE, "max_episode_steps": 20}),
        population=[GroupSpec(role="walker", learner="q_learning")],
        sweep=SweepSpec(grid={"model.n_walkers": list(np.arange(2, 4))}),
        run=RunSettings(steps=20),
    )
    report = run_study(study, out=tmp_path, backend="sequential")
    assert report.done == 2
    assert load_results(report.path).status() == {
        "done": 2,
        "failed": 0,
        "pending": 0,
        "damaged": 0,
    }


# ----------------------------------------------------------------------------- backends
def test_sequential_and_local_backends_give_identical_tables(tmp_path: Path) -> None:
    study = spec()
    ids = [r.run_id for r in plan_study(study)[2]]
    seq = run_study(study, out=tmp_path / "seq", backend="sequential")
    loc = run_study(study, out=tmp_path / "loc", backend="local", workers=2)
    assert (seq.total, seq.done, seq.failed) == (loc.total, loc.done, loc.failed) == (4, 4, 0)
    assert sorted(p.name for p in (seq.path / "runs").iterdir()) == sorted(ids)
    assert sorted(p.name for p in (loc.path / "runs").iterdir()) == sorted(ids)
    assert_same_tables(seq.path, loc.path, ids)


@pytest.mark.slow
def test_ray_backend_gives_the_same_tables(tmp_path: Path) -> None:
    """A local Ray cluster (started in a child process, so that this one forks no Ray threads)."""
    study = write_toml(tmp_path / "tiny.toml", tiny_study())
    ids = [r.run_id for r in plan_study(study)[2]]
    code = textwrap.dedent(
        f"""
        from socialrl.study import run_study
        report = run_study({str(study)!r}, out={str(tmp_path / "ray")!r}, backend="ray",
                           workers=2)
        assert (report.done, report.failed) == (4, 0), report
        """
    )
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seq = run_study(study, out=tmp_path / "seq", backend="sequential")
    assert load_results(tmp_path / "ray" / "tiny").manifest["backend"] == "ray"
    assert_same_tables(seq.path, tmp_path / "ray" / "tiny", ids)


# ----------------------------------------------------------------------------- failed runs
@pytest.mark.parametrize("backend", ["sequential", "local"])
def test_failed_runs_are_recorded_with_their_traceback(tmp_path: Path, backend: str) -> None:
    study = spec(
        population=[{"role": "walker", "learner": "tests.study_helpers:Exploding"}],
        sweep={"grid": {"population.walker.explode": [False, True]}},
    )
    report = run_study(study, out=tmp_path, backend=backend, workers=2)
    assert (report.total, report.done, report.failed) == (4, 2, 2)
    runs = load_results(report.path).runs.set_index("run_id")
    exploded = runs["population.walker.explode"].astype(bool)
    assert (runs.loc[exploded, "status"] == "failed").all()
    assert (runs.loc[~exploded, "status"] == "done").all()
    for run_id, row in runs[exploded].iterrows():
        assert "boom" in row["error"] and row["error"].startswith("RuntimeError")
        assert "Traceback" in row["traceback"] and "RuntimeError: boom" in row["traceback"]
        assert "study_helpers.py" in row["traceback"]  # where it was raised
        assert sorted(p.name for p in (report.path / "runs" / str(run_id)).iterdir()) == [
            "run.json"
        ]
    results = load_results(report.path)
    assert set(results.episodes["run_id"]) == set(runs.index[~exploded])
    assert results.status() == {"done": 2, "failed": 2, "pending": 0, "damaged": 0}


def test_diverging_learner_fails_its_run(tmp_path: Path) -> None:
    study = spec(
        population=[{"role": "walker", "learner": "tests.study_helpers:Diverging"}],
        sweep={"grid": {"population.walker.diverge": [False, True]}},
    )
    report = run_study(study, out=tmp_path, backend="sequential")
    assert (report.done, report.failed) == (2, 2)
    runs = load_results(report.path).runs
    failed = runs[runs["status"] == "failed"]
    assert failed["population.walker.diverge"].astype(bool).all()
    for error in failed["error"]:
        assert error.startswith("FloatingPointError") and "diverged" in error
        assert "walker_loss" in error


def test_run_that_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    study = spec(
        replications=3,
        population=[{"role": "walker", "learner": "tests.study_helpers:Killer"}],
        sweep={
            "points": [
                {"population.walker.kill": False},
                {"population.walker.kill": True},
                {"population.walker.kill": False, "model.n_walkers": 2},
            ]
        },
    )
    report = run_study(study, out=tmp_path, backend="local", workers=2)
    assert (report.total, report.done, report.failed) == (9, 6, 3)
    runs = load_results(report.path).runs
    killed = runs["point"] == 1
    assert (runs.loc[killed, "status"] == "failed").all()
    assert runs.loc[killed, "error"].str.contains("worker process died").all()
    assert (runs.loc[~killed, "status"] == "done").all()


def test_run_that_kills_at_once_does_not_kill_the_study(tmp_path: Path) -> None:
    data = tiny_study(
        "killed_at_once",
        population=[
            {"role": "walker", "learner": "tests.study_helpers:Killer", "params": {"after": 0}}
        ],
        sweep={"grid": {"population.walker.kill": [True, False]}},
    )
    study = write_toml(tmp_path / "killed.toml", data)
    code = (
        "from socialrl.study import run_study\n"
        f"run_study({str(study)!r}, out={str(tmp_path)!r}, backend='local', workers=2)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"the study process died with exit code {proc.returncode}"
    runs = load_results(tmp_path / "killed_at_once").runs
    assert runs.loc[runs["point"] == 0, "error"].str.contains("worker process died").all()
    assert (runs.loc[runs["point"] == 1, "status"] == "done").all()


# ----------------------------------------------------------------------------- results
def test_results_round_trip_what_simulate_gives(tmp_path: Path) -> None:
    study = spec()
    _, _, configs = plan_study(study)
    report = run_study(study, out=tmp_path, backend="sequential")
    results = load_results(report.path)
    assert results.name == "tiny" and results.swept == ["population.walker.epsilon"]

    for config in (configs[0], configs[3]):
        direct = simulate(
            config.model,
            config.model_params,
            {g.role: registry.make_learner(g.learner, g.params) for g in config.groups},
            steps=config.run.steps,
            seed=config.seed,
            record_every=config.run.record_every,
            snapshot_every=config.run.snapshot_every,
        )
        for name in TABLES:
            expected = getattr(direct, name)
            stacked = getattr(results, name)
            part = stacked[stacked["run_id"] == config.run_id]
            assert (part["seed"] == config.seed).all()
            assert (part["population.walker.epsilon"] == config.groups[0].params["epsilon"]).all()
            got = part[list(expected.columns)].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, expected, obj=name)
        assert results.runs.set_index("run_id").loc[config.run_id, "steps_run"] == 120

    runs = results.runs
    assert len(runs) == 4 and (runs["status"] == "done").all()
    assert {
        "model.layout",
        "model.n_walkers",
        "population.walker.learner",
        "population.walker.alpha",
        "population.walker.epsilon",
        "run.steps",
    } <= set(results.parameter_columns)
    assert runs["model.layout"].eq(SMALL_MAZE).all()
    assert sorted(runs["population.walker.epsilon"]) == [0.1, 0.1, 0.5, 0.5]
    assert runs["seed"].tolist() == [c.seed for c in configs]
    assert results.status() == {"done": 4, "failed": 0, "pending": 0, "damaged": 0}


def test_summary_is_across_seeds_of_per_run_means(tmp_path: Path) -> None:
    report = run_study(spec(replications=3), out=tmp_path, backend="sequential")
    results = load_results(report.path)
    table = results.summary("episodes", "length")
    assert list(table.columns) == [
        "population.walker.epsilon",
        "mean",
        "sd",
        "n",
        "ci95_low",
        "ci95_high",
    ]
    assert table["population.walker.epsilon"].tolist() == [0.1, 0.5]
    assert (table["n"] == 3).all()
    episodes = results.episodes
    per_run = episodes.groupby("run_id")["length"].mean()
    for _, row in table.iterrows():
        ids = episodes.loc[
            episodes["population.walker.epsilon"] == row["population.walker.epsilon"], "run_id"
        ].unique()
        values = per_run[ids]
        assert row["mean"] == pytest.approx(values.mean())
        assert row["sd"] == pytest.approx(values.std(ddof=1))
        assert row["ci95_low"] <= row["mean"] <= row["ci95_high"]
    by_replication = results.summary("steps", "walker_reward_mean", by=["replication"])
    assert by_replication["replication"].tolist() == [0, 1, 2]
    assert (by_replication["n"] == 2).all()  # one run per sweep point
    overall = results.summary("episodes", "length", by=[], per_run="max")
    assert overall["n"].tolist() == [6]
    assert overall["mean"].iloc[0] == pytest.approx(
        episodes.groupby("run_id")["length"].max().mean()
    )
    with pytest.raises(KeyError, match="no column"):
        results.summary("episodes", "nonsense")


def test_summary_by_run_id_gives_each_runs_own_value(tmp_path: Path) -> None:
    results = load_results(run_study(spec(), out=tmp_path, backend="sequential").path)
    table = results.summary("episodes", "length", by=["run_id"])
    per_run = results.episodes.groupby("run_id")["length"].mean()
    assert table["run_id"].tolist() == sorted(results.runs["run_id"])
    assert table.set_index("run_id")["mean"].to_dict() == pytest.approx(per_run.to_dict())
    assert (table["n"] == 1).all() and table[["sd", "ci95_low", "ci95_high"]].isna().all().all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_equals_the_tables(tmp_path: Path, fmt: str) -> None:
    report = run_study(spec(), out=tmp_path / "results", backend="sequential")
    results = load_results(report.path)
    paths = results.export(tmp_path / "export", fmt)
    names = ("runs", *results.table_names)  # the standard tables and the maze's extra ones
    assert set(TABLES) <= set(names)
    assert sorted(p.name for p in paths) == sorted(f"{n}.{fmt}" for n in names)
    for name in names:
        expected = results.runs if name == "runs" else results.table(name)
        path = tmp_path / "export" / f"{name}.{fmt}"
        if fmt == "csv":
            back = pd.read_csv(path, dtype={"run_id": str})
            # a CSV cell is empty for any missing value: None (no error) reads back as NaN
            expected = expected.where(expected.notna(), np.nan)
            pd.testing.assert_frame_equal(back, expected, check_dtype=False, obj=name)
        else:
            pd.testing.assert_frame_equal(pd.read_parquet(path), expected, obj=name)
    assert not list((tmp_path / "export").glob(".*"))  # no temporary files left


def test_load_results_of_a_folder_that_is_no_study(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no manifest"):
        load_results(tmp_path)


# ----------------------------------------------------------------------------- resume and lock
def test_resume_skips_finished_runs_and_fresh_reruns_them(tmp_path: Path) -> None:
    study = spec()
    first = run_study(study, out=tmp_path, backend="sequential")
    assert (first.total, first.skipped, first.done, first.failed) == (4, 0, 4, 0)
    before = digests(first.path / "runs")
    assert sum(name.endswith(".parquet") for name in before) == 4 * 4  # with the policy table

    again = run_study(study, out=tmp_path, backend="local", workers=2)
    assert (again.total, again.skipped, again.done, again.failed) == (4, 4, 0, 0)
    assert digests(first.path / "runs") == before  # not one byte rewritten

    # a missing run is run again, alone, with the same tables
    victim = sorted((first.path / "runs").iterdir())[0]
    old = run_tables(first.path, victim.name)
    for path in victim.iterdir():
        path.unlink()
    victim.rmdir()
    assert load_results(first.path).status() == {"done": 3, "failed": 0, "pending": 1, "damaged": 0}
    patched = run_study(study, out=tmp_path, backend="sequential")
    assert (patched.skipped, patched.done) == (3, 1)
    for name, table in run_tables(first.path, victim.name).items():
        pd.testing.assert_frame_equal(table, old[name])

    before = digests(first.path / "runs")
    fresh = run_study(study, out=tmp_path, backend="sequential", resume=False)
    assert (fresh.total, fresh.skipped, fresh.done, fresh.failed) == (4, 0, 4, 0)
    after = digests(first.path / "runs")
    assert after.keys() == before.keys()
    rewritten = [name for name in after if name.endswith("run.json")]
    assert len(rewritten) == 4 and all(after[n] != before[n] for n in rewritten)  # new timings


def test_resume_retries_failed_runs(tmp_path: Path) -> None:
    study = spec(
        population=[{"role": "walker", "learner": "tests.study_helpers:Exploding"}],
        sweep={"grid": {"population.walker.explode": [False, True]}},
    )
    first = run_study(study, out=tmp_path, backend="sequential")
    again = run_study(study, out=tmp_path, backend="sequential")
    assert (first.done, first.failed) == (2, 2)
    assert (again.skipped, again.done, again.failed) == (2, 0, 2)
    assert load_results(first.path).status() == {"done": 2, "failed": 2, "pending": 0, "damaged": 0}


def test_resume_removes_temporary_folders_of_a_crashed_study(tmp_path: Path) -> None:
    study = spec()
    report = run_study(study, out=tmp_path, backend="sequential")
    stale = report.path / "runs" / ".tmp-0123456789abcdef-99999"
    stale.mkdir()
    (stale / "steps.parquet").write_bytes(b"half")
    again = run_study(study, out=tmp_path, backend="sequential")
    assert again.skipped == 4 and not stale.exists()


def test_a_locked_study_folder_is_refused(tmp_path: Path) -> None:
    study = spec()
    folder = tmp_path / "tiny"
    with StudyLock(folder):
        with pytest.raises(StudyLockedError) as caught:
            run_study(study, out=tmp_path, backend="sequential")
        message = str(caught.value)
        assert str(folder) in message and f"pid {os.getpid()}" in message
        assert "--out" in message
        assert not (folder / "runs").exists()  # nothing ran
    report = run_study(study, out=tmp_path, backend="sequential")
    assert report.done == 4


# ----------------------------------------------------------------------------- stopping early
def test_stop_when_stable_ends_runs_early(tmp_path: Path) -> None:
    maze = {
        "name": "maze",
        "params": {"layout": TINY_MAZE, "n_walkers": 3, "max_episode_steps": 20},
    }
    learner = {"role": "walker", "learner": "q_learning", "params": {"alpha": 0.5}}
    study = spec(
        model=maze,
        population=[learner],
        sweep={},
        run={"steps": 3000, "record_every": 50, "stop_when_stable": 30},
    )
    report = run_study(study, out=tmp_path, backend="sequential")
    assert (report.done, report.failed) == (2, 0)
    results = load_results(report.path)
    steps_run = results.runs["steps_run"]
    assert (steps_run < 3000).all() and (steps_run > 30).all()
    last = results.steps.groupby("run_id").last()
    assert (last["walker_stable_min"] >= 30).all()
    assert (last["step"] == results.runs.set_index("run_id")["steps_run"]).all()

    # a fixed policy beside the learners does not keep the run going
    mixed = spec(
        name="mixed",
        model=maze,
        population=[
            {**learner, "agents": [0, 1], "name": "learners"},
            {"role": "walker", "learner": "random", "agents": [2], "name": "randoms"},
        ],
        sweep={},
        run={"steps": 3000, "record_every": 50, "stop_when_stable": 30},
    )
    report = run_study(mixed, out=tmp_path, backend="sequential")
    assert (report.done, report.failed) == (2, 0)
    assert (load_results(report.path).runs["steps_run"] < 3000).all()
