"""The app's data layer, statistics and safety, and the maze's recorded policies, without pages.

* loading: the fast loader gives the same rows and values as ``StudyResults.table``; a run
  whose file is corrupt is left out *and named*; studies are read only below the root;
* statistics: confidence bands are Student-t intervals across runs; downsampling for drawing
  keeps every row in the statistics;
* the maze's ``policy`` and ``learned_model`` tables agree with the learners and the theory;
* no pickle anywhere in the app.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

from scipy import stats as scipy_stats
from socialrl_models.maze.layouts import layout_from_policy
from socialrl_models.maze.model import MazeModel
from socialrl_models.maze.theory import greedy_path, maze_mdp, optimal_policy, shortest_path_lengths

from socialrl import Group, QLearning, simulate, statistics
from socialrl.app import stats
from socialrl.app.data import StudyError, find_studies, open_study, read_table
from socialrl.app.launch import command
from socialrl.app.paths import OutsideRootError, choose_root, confine, launch_root
from socialrl.learners.dyna_q import DynaQ
from socialrl.learners.fixed import RandomPolicy
from socialrl.study import load_results
from tests.test_app_helpers import MAZE, build, copy_study, maze_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    build(root, maze_study(run={"steps": 300, "record_every": 3, "snapshot_every": 100}))
    return root


# ---------------------------------------------------------------------- loading
@pytest.mark.parametrize("name", ["steps", "episodes", "agents", "policy", "learned_model"])
def test_fast_loader_matches_study_results(built: Path, name: str) -> None:
    fast = read_table(built / "tiny_maze", name)
    slow = load_results(built / "tiny_maze").table(name)
    assert fast.notes == () and fast.runs == 8
    frame = fast.frame.astype(
        {
            c: object
            for c in fast.frame.columns
            if isinstance(fast.frame[c].dtype, pd.CategoricalDtype)
        }
    )
    pd.testing.assert_frame_equal(frame, slow, check_dtype=False)
    assert isinstance(fast.frame["run_id"].dtype, pd.CategoricalDtype)


def test_a_corrupt_run_file_is_left_out_and_named(built: Path, tmp_path: Path) -> None:
    study = copy_study(built / "tiny_maze", tmp_path)
    victim = sorted((study / "runs").iterdir())[0]
    (victim / "steps.parquet").write_bytes(b"PAR1 this is not parquet")
    loaded = read_table(study, "steps")
    assert loaded.runs == 7
    assert victim.name not in set(loaded.frame["run_id"].astype(str))
    assert len(loaded.notes) == 1 and victim.name in loaded.notes[0]


def test_missing_partial_and_corrupt_studies_raise_clear_errors(
    built: Path, tmp_path: Path
) -> None:
    with pytest.raises(StudyError, match="no study folder"):
        open_study(tmp_path, "absent")
    (tmp_path / "half" / "runs").mkdir(parents=True)
    with pytest.raises(StudyError, match=r"no manifest\.json"):
        open_study(tmp_path, "half")
    bad = copy_study(built / "tiny_maze", tmp_path, "bad")
    (bad / "manifest.json").write_text('{"spec": {"name": 3}}')
    with pytest.raises(StudyError, match="corrupt"):
        open_study(tmp_path, "bad")
    with pytest.raises(StudyError, match="no 'nope' table"):
        read_table(built / "tiny_maze", "nope")
    states = {s["folder"]: s["state"] for s in find_studies(tmp_path)}
    assert states == {"bad": "broken", "half": "broken"}


def test_a_partial_study_shows_its_finished_runs(built: Path, tmp_path: Path) -> None:
    study = copy_study(built / "tiny_maze", tmp_path)
    for run in sorted((study / "runs").iterdir())[:3]:
        shutil.rmtree(run)
    (entry,) = find_studies(tmp_path)
    assert entry["state"] == "partial" and entry["status"] == {
        "done": 5,
        "failed": 0,
        "pending": 3,
        "damaged": 0,
    }
    assert read_table(study, "steps").runs == 5


# ---------------------------------------------------------------------- confinement
def test_paths_are_confined_below_the_results_root(built: Path, tmp_path: Path) -> None:
    root = built.resolve()
    assert confine("tiny_maze", root) == root / "tiny_maze"
    for escape in ("..", "../..", "/etc", "tiny_maze/../../x"):
        with pytest.raises(OutsideRootError):
            confine(escape, root)
    assert choose_root("", root) == root and choose_root("tiny_maze", root) == root / "tiny_maze"
    with pytest.raises(OutsideRootError, match="socialrl app FOLDER"):
        choose_root("/", root)
    for name in ("..", "../x", "a/b", ""):
        with pytest.raises(StudyError):
            open_study(root, name)


def test_a_study_linking_outside_the_root_is_refused(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "results"
    study = copy_study(built / "tiny_maze", root)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = sorted((study / "runs").iterdir())[0]
    (run / "steps.parquet").rename(outside / "steps.parquet")
    os.symlink(outside / "steps.parquet", run / "steps.parquet")
    with pytest.raises(StudyError, match="links outside the results root"):
        open_study(root.resolve(), "tiny_maze")
    elsewhere = copy_study(built / "tiny_maze", outside, "a_study")
    os.symlink(elsewhere, root / "linked_study")
    assert {s["folder"]: s["state"] for s in find_studies(root.resolve())}[
        "linked_study"
    ] == "broken"


def test_launch_root_reads_arguments_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALRL_RESULTS", "/tmp/from_env")
    assert launch_root(["--results", "/tmp/from_args"]) == Path("/tmp/from_args")
    assert launch_root(["--results=/tmp/eq"]) == Path("/tmp/eq")
    assert launch_root([]) == Path("/tmp/from_env")
    monkeypatch.delenv("SOCIALRL_RESULTS")
    assert launch_root([]) == Path("results").resolve()


def test_socialrl_app_runs_streamlit_on_the_packaged_entry(tmp_path: Path) -> None:
    argv = command(tmp_path, 8600)
    assert argv[1:4] == ["-m", "streamlit", "run"] and Path(argv[4]).is_file()
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[-3:] == ["--", "--results", str(tmp_path)]


def test_the_app_never_uses_pickle(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = re.compile(r"import pickle|pickle\.|read_pickle|allow_pickle\s*=\s*True|joblib")
    for path in [*(ROOT / "socialrl" / "app").rglob("*.py"), ROOT / "app.py"]:
        assert not code.search(path.read_text()), f"{path} uses pickle"

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("something unpickled while reading a study")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    for name in ("steps", "agents", "policy", "learned_model", "runs"):
        assert len(read_table(built / "tiny_maze", name).frame)


# ---------------------------------------------------------------------- statistics
def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for run in range(6):
        for step in range(1, 1001):
            rows.append((f"r{run}", step, run % 2, rng.normal(step / 1000 + run % 2, 0.1)))
    return pd.DataFrame(rows, columns=["run_id", "step", "p", "y"])


def test_curves_are_student_t_intervals_across_runs() -> None:
    frame = _frame().query("step <= 100")
    curves = stats.learning_curves(frame, "step", "y", ["p"])
    assert not curves.downsampled and curves.runs == 6 and curves.rows == len(frame)
    row = curves.frame[(curves.frame["p"] == 1) & (curves.frame["x"] == 50)].iloc[0]
    values = frame[(frame["p"] == 1) & (frame["step"] == 50)]["y"]
    half = scipy_stats.t.ppf(0.975, 2) * values.std() / np.sqrt(3)
    assert row["n"] == 3 and row["mean"] == pytest.approx(values.mean())
    assert row["high"] - row["mean"] == pytest.approx(half)


def test_downsampling_draws_few_points_from_every_row() -> None:
    frame = _frame()
    curves = stats.learning_curves(frame, "step", "y", [], max_points=50)
    assert curves.downsampled and curves.points == 1000 and len(curves.frame) == 50
    assert curves.rows == len(frame) and (curves.frame["n"] == 6).all()
    # Bins hold equal numbers of rows per run here, so their means average to the grand mean.
    assert curves.frame["mean"].mean() == pytest.approx(frame["y"].mean())


def test_per_run_values_and_heatmap_cells() -> None:
    frame = _frame().assign(q=lambda f: (f["run_id"].str[1].astype(int) // 2) % 2)
    last = statistics.per_run_values(frame, "y", ["p", "q"], "last", "step")
    assert len(last) == 6
    expected = frame.sort_values("step").groupby("run_id")["y"].last()
    assert last.set_index("run_id")["y"].to_dict() == pytest.approx(expected.to_dict())
    means, counts = stats.grid_means(last, "y", "p", "q")
    assert counts.to_numpy().sum() == 6 and means.shape == (2, 2)
    summary = statistics.across_runs(last, "y", ["p"])
    assert summary["n"].tolist() == [3, 3]
    hist = stats.histogram(frame["y"], bins=20)
    assert hist["count"].sum() == len(frame)


@pytest.mark.parametrize(
    ("table", "value", "how"),
    [("steps", "mean_distance_to_goal", "last"), ("episodes", "length", "mean")],
)
def test_the_app_and_study_results_give_the_same_intervals(
    built: Path, table: str, value: str, how: str
) -> None:
    """One implementation: the Explore page's table (categorical keys) and its across-run
    statistics equal ``StudyResults.summary`` on the engine's table, to the last bit."""
    results = load_results(built / "tiny_maze")
    by = results.swept
    engine = results.summary(table, value, by, per_run=how)
    frame = read_table(built / "tiny_maze", table).frame
    bounds = results.bounds_of(value)
    assert bounds == (0, None)  # a distance and a length cannot be negative
    app = statistics.across_runs(
        statistics.per_run_values(frame, value, by, how), value, by, bounds
    )
    app = app.astype({c: engine[c].dtype for c in by})
    pd.testing.assert_frame_equal(app, engine, check_exact=True)
    assert (engine["n"] == 2).all() and (engine["ci95_low"] <= engine["ci95_high"]).all()
    assert (engine["ci95_low"] >= 0).all()  # clipped at the bound, never a negative length


# ---------------------------------------------------------------------- maze tables
def test_maze_policy_table_matches_the_learners_and_the_theory() -> None:
    params = {"layout": MAZE, "n_walkers": 5, "max_episode_steps": 60}
    dyna, q = DynaQ(planning_steps=5), QLearning(alpha=0.5)
    groups = [
        Group(dyna, agents=[0, 1], name="dyna"),
        Group(q, agents=[2, 3], name="q"),
        Group(RandomPolicy(), agents=[4]),
    ]
    results = simulate("maze", params, groups, steps=800, seed=3)
    policy, model = results.extra["policy"], results.extra["learned_model"]
    assert set(policy["group"]) == {"dyna", "q"}  # the random walker learns nothing
    assert sorted(policy["agent"].unique()) == [0, 1, 2, 3]
    mine = policy[policy["agent"] == 3].sort_values("state")
    np.testing.assert_array_equal(mine["greedy_action"], q.greedy_table()[1])
    learned = (q.q_values()[1] != 0.0).any(axis=1)  # rows that moved from Q₀ = 0
    np.testing.assert_allclose(mine["value"].to_numpy()[learned], q.values()[1][learned])
    assert np.isnan(mine["value"].to_numpy()[~learned]).all()
    theirs = model[model["agent"] == 1].drop(columns=["group", "agent"])
    expected = dyna.learned_model(1)
    pd.testing.assert_frame_equal(
        theirs[expected.columns].reset_index(drop=True), expected, check_dtype=False
    )
    assert layout_from_policy(mine) == MazeModel(MAZE).layout.to_text()

    mdp = maze_mdp(MAZE)
    optimal = optimal_policy(mdp, gamma=0.95)
    dist = shortest_path_lengths(mdp)
    for s in np.flatnonzero(~mdp.terminal):  # every optimal move shortens the BFS distance
        moves = [a for a in range(4) if optimal["optimal_actions"][s] >> a & 1]
        assert moves and all(dist[mdp.next_state[s, a]] == dist[s] - 1 for a in moves)
    path = greedy_path(mdp, optimal["optimal_action"].to_numpy())
    assert len(path) - 1 == dist[mdp.start] == 7


def test_cells_a_walker_never_learned_about_have_no_value() -> None:
    """Q₀ = 0 is the best value in a −1-per-step maze: drawn as a value it would look best."""
    room = "S........\n.........\n.........\n........G"
    learner = QLearning(alpha=0.5)
    results = simulate("maze", {"layout": room}, {"walker": learner}, steps=6, seed=0)
    policy = results.extra["policy"].sort_values("state")
    value = policy["value"].to_numpy()
    moved = (learner.q_values()[0] != 0.0).any(axis=1)
    assert 1 <= moved.sum() <= 6  # six steps update at most six cells
    assert np.isfinite(value[moved]).all() and np.isnan(value[~moved]).all()


def test_a_shared_dyna_model_is_recorded_once_and_large_groups_are_capped() -> None:
    results = simulate(
        "maze", {"layout": MAZE, "n_walkers": 40}, {"walker": DynaQ(shared=True)}, steps=50, seed=1
    )
    assert results.extra["learned_model"]["agent"].unique().tolist() == [0]
    assert results.extra["policy"]["agent"].nunique() == 16


def test_socialrl_app_command_is_listed() -> None:
    from typer.testing import CliRunner

    from socialrl.cli import app

    result = CliRunner().invoke(app, ["app", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "--port" in result.output and "RESULTS" in result.output.upper()
