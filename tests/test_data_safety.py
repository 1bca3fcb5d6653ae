"""Nothing computed is lost or hidden, and nothing is written outside ``--out``.

Each case of the data-safety list: names that would leave the results folder, a changed spec
under an old name, damaged manifests, run.json and Parquet files, an unwritable ``--out``,
Python studies that do not run, workers that die (repeatedly: a dead worker must never hang
the study or keep its lock), and ``streamlit run app.py`` listening on this machine only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from socialrl.study import (
    ResultsError,
    SpecError,
    load_results,
    parse_study,
    run_study,
)
from socialrl.study.results import DamagedRunWarning
from socialrl.study.store import StudyLock, StudyStore
from tests.study_helpers import tiny_study, write_toml

ROOT = Path(__file__).resolve().parents[1]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _study(tmp_path: Path, name: str = "safe", **overrides: Any) -> Path:
    return write_toml(tmp_path / f"{name}.toml", tiny_study(name, **overrides))


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "socialrl.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


# ----------------------------------------------------------------------------- paths
@pytest.mark.parametrize("name", ["..", ".", "../escape", "a/../..", ".hidden", "/abs"])
def test_a_study_name_never_leaves_out(tmp_path: Path, name: str) -> None:
    out = tmp_path / "inner" / "out"
    out.mkdir(parents=True)
    (tmp_path / "inner" / "keep.txt").write_text("mine")
    data = tiny_study("x")
    data["name"] = name
    study = write_toml(tmp_path / "escape.toml", data)
    before = _files(tmp_path)
    with pytest.raises(SpecError, match=r"key 'name'"):
        run_study(study, out=out, backend="sequential")
    with pytest.raises(SpecError):  # and with --fresh, which deletes: nothing either
        run_study(study, out=out, backend="sequential", resume=False)
    assert _files(tmp_path) == before
    assert (tmp_path / "inner" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["..", ".", "a/b", "../x"])
def test_the_store_refuses_a_folder_outside_out(tmp_path: Path, name: str) -> None:
    with pytest.raises(ResultsError, match="would write outside"):
        StudyStore.for_study(tmp_path, name)


def test_a_linked_study_folder_pointing_out_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "safe").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ResultsError, match="would write outside"):
        run_study(_study(tmp_path), out=tmp_path / "out", backend="sequential")
    assert not any((tmp_path / "elsewhere").iterdir())


def test_everything_a_study_writes_is_inside_out(tmp_path: Path) -> None:
    study = _study(tmp_path)
    before = _files(tmp_path)
    run_study(study, out=tmp_path / "out", backend="local", workers=2)
    added = _files(tmp_path) - before
    assert added and all(p == "out" or p.startswith("out/") for p in added)


def test_an_unwritable_out_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ResultsError) as caught:
        run_study(_study(tmp_path), out=tmp_path / "file" / "out", backend="sequential")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("--out ") and "cannot write" in message
    proc = _cli("run", str(_study(tmp_path)), "--out", str(tmp_path / "file" / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("error:") == 1 and "cannot write" in proc.stderr


# ----------------------------------------------------------------------------- changed specs
def test_a_changed_spec_under_an_old_name_is_refused_naming_the_change(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_study(_study(tmp_path), out=out, backend="sequential")
    manifest = (out / "safe" / "manifest.json").read_text()
    changed = tiny_study("safe")
    changed["model"]["params"]["n_walkers"] = 2
    study = write_toml(tmp_path / "changed.toml", changed)
    with pytest.raises(ResultsError) as caught:
        run_study(study, out=out, backend="sequential")
    message = str(caught.value)
    assert "\n" not in message
    assert "holds 4 finished runs of another version of study 'safe'" in message
    assert "model.params.n_walkers: 3 → 2" in message and "--fresh" in message
    assert (out / "safe" / "manifest.json").read_text() == manifest  # nothing rewritten
    assert load_results(out / "safe").status()["done"] == 4  # the old runs are all there
    # --fresh replaces them, as asked
    report = run_study(study, out=out, backend="sequential", resume=False)
    assert (report.done, report.skipped) == (4, 0)
    assert len(list((out / "safe" / "runs").iterdir())) == 4


def test_a_spec_that_only_extends_the_study_goes_ahead(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_study(_study(tmp_path), out=out, backend="sequential")
    more = tiny_study("safe", replications=3, description="now with a third seed")
    report = run_study(write_toml(tmp_path / "more.toml", more), out=out, backend="sequential")
    assert (report.total, report.skipped, report.done) == (6, 4, 2)


def test_the_cli_refuses_a_changed_spec_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_study(_study(tmp_path), out=out, backend="sequential")
    changed = tiny_study("safe")
    changed["run"]["steps"] = 60
    proc = _cli("run", str(write_toml(tmp_path / "c.toml", changed)), "--out", str(out))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "run.steps: 120 → 60" in proc.stderr


# ----------------------------------------------------------------------------- damaged files
def _finished(tmp_path: Path) -> tuple[Path, list[str]]:
    out = tmp_path / "out"
    run_study(_study(tmp_path), out=out, backend="sequential")
    return out / "safe", sorted(p.name for p in (out / "safe" / "runs").iterdir())


def test_run_json_records_a_checksum_of_each_table(tmp_path: Path) -> None:
    folder, run_ids = _finished(tmp_path)
    info = json.loads((folder / "runs" / run_ids[0] / "run.json").read_text())
    assert {"steps.parquet", "episodes.parquet", "agents.parquet"} <= set(info["files"])
    assert all(len(digest) == 64 for digest in info["files"].values())


def test_a_truncated_run_json_is_one_damaged_run_and_resume_redoes_it(tmp_path: Path) -> None:
    folder, run_ids = _finished(tmp_path)
    path = folder / "runs" / run_ids[1] / "run.json"
    path.write_text(path.read_text()[:40])
    results = load_results(folder)
    assert results.status() == {"done": 3, "failed": 0, "pending": 0, "damaged": 1}
    assert len(results.steps["run_id"].unique()) == 3  # the other runs are all readable
    shown = _cli("show", str(folder))
    assert shown.returncode == 0 and "1 damaged" in shown.stdout and "Traceback" not in shown.stderr
    report = run_study(_study(tmp_path), out=folder.parent, backend="sequential")
    assert (report.skipped, report.done) == (3, 1)
    assert load_results(folder).status()["done"] == 4


def test_a_truncated_parquet_file_is_left_out_naming_itself_and_redone(tmp_path: Path) -> None:
    folder, run_ids = _finished(tmp_path)
    path = folder / "runs" / run_ids[2] / "steps.parquet"
    path.write_bytes(path.read_bytes()[:100])
    results = load_results(folder)
    with pytest.warns(DamagedRunWarning, match=rf"{run_ids[2]}"):
        steps = results.steps
    assert set(steps["run_id"]) == set(run_ids) - {run_ids[2]}
    assert results.status()["damaged"] == 1
    exported = _cli("export", str(folder), "--to", str(tmp_path / "export"))
    assert exported.returncode == 0 and "Traceback" not in exported.stderr
    report = run_study(_study(tmp_path), out=folder.parent, backend="sequential")
    assert (report.skipped, report.done) == (3, 1)  # the checksum no longer matched
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRunWarning)
        assert len(load_results(folder).steps["run_id"].unique()) == 4


def test_a_flipped_byte_is_found_by_the_checksum(tmp_path: Path) -> None:
    folder, run_ids = _finished(tmp_path)
    path = folder / "runs" / run_ids[0] / "agents.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert StudyStore(folder).damaged() == {
        run_ids[0]: "agents.parquet does not match its checksum in run.json (damaged)"
    }
    report = run_study(_study(tmp_path), out=folder.parent, backend="sequential")
    assert (report.skipped, report.done) == (3, 1)


def test_a_damaged_manifest_names_itself_and_a_rerun_rewrites_it(tmp_path: Path) -> None:
    folder, _ = _finished(tmp_path)
    (folder / "manifest.json").write_text('{"study": "safe", "sp')
    with pytest.raises(ResultsError) as caught:
        load_results(folder)
    message = str(caught.value)
    assert "\n" not in message and "manifest.json: damaged" in message
    shown = _cli("show", str(folder))
    assert shown.returncode == 2 and "manifest.json: damaged" in shown.stderr
    assert "Traceback" not in shown.stderr
    report = run_study(_study(tmp_path), out=folder.parent, backend="sequential")
    assert (report.skipped, report.done) == (4, 0)  # the runs were intact: nothing redone
    assert load_results(folder).status()["done"] == 4


def test_a_damaged_manifest_never_lets_another_spec_hide_the_runs(tmp_path: Path) -> None:
    folder, _ = _finished(tmp_path)
    (folder / "manifest.json").write_text("[]")
    changed = tiny_study("safe", seed=99)
    with pytest.raises(ResultsError, match="no readable manifest says which spec"):
        run_study(write_toml(tmp_path / "c.toml", changed), out=folder.parent, backend="sequential")


# ----------------------------------------------------------------------------- Python studies
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("study = StudySpec(\n", "line 1"),
        ("import nothing_of_that_name\n", "running it raised ModuleNotFoundError"),
        ("raise SystemExit(3)\n", "running it raised SystemExit"),
        ("study = 3\n", "must define `study = StudySpec(...)`"),
    ],
    ids=["syntax error", "import error", "exit", "no spec"],
)
def test_a_python_study_that_does_not_run_is_one_line(
    tmp_path: Path, source: str, expected: str
) -> None:
    study = tmp_path / "broken.py"
    study.write_text(source)
    if "SystemExit" in expected:  # SystemExit is no Exception: it ends the process
        proc = _cli("run", str(study), "--out", str(tmp_path / "out"))
        assert "Traceback" not in proc.stderr and proc.returncode != 0
        return
    with pytest.raises(SpecError) as caught:
        run_study(study, out=tmp_path / "out", backend="sequential")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{study}: ") and expected in message
    assert not (tmp_path / "out").exists()


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    data = tiny_study("many")
    data["seed"] = -1
    data["run"]["steps"] = True
    data["run"]["stepz"] = 3
    data["population"][0]["rol"] = "walker"
    study = write_toml(tmp_path / "many.toml", data)
    with pytest.raises(SpecError) as caught:
        run_study(study, out=tmp_path / "out", backend="sequential")
    lines = str(caught.value).splitlines()
    assert len(lines) == 4 and all(line.startswith(f"{study}: ") for line in lines)
    for key in ("'seed'", "'run.steps'", "'run.stepz'", "'population[0].rol'"):
        assert sum(key in line for line in lines) == 1, (key, lines)
    proc = _cli("run", str(study), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and proc.stderr.count("error:") == 4


def test_learner_and_model_problems_of_a_study_are_reported_together(tmp_path: Path) -> None:
    data = tiny_study("both", sweep={})
    data["population"][0]["params"] = {"alpha": "fast", "gamma": 2.0}
    study = write_toml(tmp_path / "both.toml", data)
    with pytest.raises(SpecError) as caught:
        run_study(study, out=tmp_path / "out", backend="sequential")
    message = str(caught.value)
    # two bad values of one group: each fails alone, so neither is named as the culprit
    assert message.startswith(f"{study}: key 'population[0].params'")


def test_a_huge_expansion_is_refused_at_once(tmp_path: Path) -> None:
    study = _study(tmp_path, replications=100_000_000)
    started = time.perf_counter()
    with pytest.raises(SpecError, match="200,000,000 runs"):
        run_study(study, out=tmp_path / "out", backend="sequential")
    assert time.perf_counter() - started < 5
    # a study that really is large says so
    spec = parse_study(tiny_study("big", replications=150_000, sweep={}))
    with pytest.raises(SpecError, match="150,000 runs"):
        run_study(spec, out=tmp_path / "out", backend="sequential", max_runs=100_000)


# ----------------------------------------------------------------------------- dying workers
def _killing_study(tmp_path: Path, name: str) -> Path:
    data = tiny_study(
        name,
        replications=3,
        population=[{"role": "walker", "learner": "tests.study_helpers:Killer"}],
        sweep={"grid": {"population.walker.kill": [False, True]}},
    )
    data["run"] = {"steps": 400, "record_every": 20}
    return write_toml(tmp_path / f"{name}.toml", data)


def _run_with_progress(study: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """A study on the local backend with progress reporting on, in its own process."""
    code = (
        "from socialrl.study import run_study\n"
        f"run_study({str(study)!r}, out={str(out)!r}, backend='local', workers=2,\n"
        "          on_progress=lambda run_id, step, total: None)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_dying_worker_with_progress_reporting_never_hangs(tmp_path: Path) -> None:
    proc = _run_with_progress(_killing_study(tmp_path, "dying"), tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = load_results(tmp_path / "out" / "dying").runs
    assert (runs.loc[runs["population.walker.kill"], "status"] == "failed").all()
    assert (runs.loc[~runs["population.walker.kill"], "status"] == "done").all()
    with StudyLock(tmp_path / "out" / "dying"):  # the lock was released
        pass


@pytest.mark.slow
def test_thirty_dying_workers_in_a_row_never_hang(tmp_path: Path) -> None:
    """The old shared progress queue hung 3 of 4 such studies (a lock held by the dead)."""
    study = _killing_study(tmp_path, "dying")
    for attempt in range(30):
        out = tmp_path / f"out{attempt}"
        started = time.perf_counter()
        proc = _run_with_progress(study, out)  # a hang fails on the 120 s timeout
        assert proc.returncode == 0, (attempt, proc.stderr[-2000:])
        assert time.perf_counter() - started < 120
        status = load_results(out / "dying").status()
        assert (status["done"], status["failed"]) == (3, 3), (attempt, status)


# ----------------------------------------------------------------------------- the app
def test_streamlit_run_app_py_listens_on_this_machine_only(tmp_path: Path) -> None:
    pytest.importorskip("streamlit")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SOCIALRL_RESULTS": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        listening = _wait_listening(port, timeout=60)
        assert listening, "streamlit did not start"
        assert listening == {"127.0.0.1"}, listening
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "gatherUsageStats" not in output and "Network URL" not in output


def _wait_listening(port: int, timeout: float) -> set[str]:
    """The local addresses listening on ``port`` (IPv4 and IPv6), once any is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = set()
        for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
            if not Path(table).exists():
                continue
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                address, hex_port = fields[1].split(":")
                if int(hex_port, 16) == port and fields[3] == "0A":  # LISTEN
                    found.add(_address(address, width))
        if found:
            return found
        time.sleep(0.25)
    return set()


def _address(hex_address: str, width: int) -> str:
    if width == 8:
        return socket.inet_ntoa(bytes.fromhex(hex_address)[::-1])
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def test_runs_whose_column_types_differ_still_stack() -> None:
    """A yes/no column written as bool by some runs and as all-NaN float by others (an older
    version of a model) is read as 1.0/0.0/NaN, not refused: the study stays readable."""
    import math

    import pyarrow as pa

    from socialrl.study.tables import _concat

    judged = pa.table({"x": [1, 2], "verdict": [True, False]})
    skipped = pa.table({"x": [3], "verdict": [float("nan")]})
    stacked = _concat([judged, skipped]).to_pandas()
    assert stacked["x"].tolist() == [1, 2, 3]
    assert stacked["verdict"].iloc[:2].tolist() == [1.0, 0.0]
    assert math.isnan(stacked["verdict"].iloc[2])
    texts = _concat([judged, pa.table({"x": [4], "verdict": ["unknown"]})]).to_pandas()
    assert texts["verdict"].tolist() == ["true", "false", "unknown"]
