"""A study on disk: the folder, its lock, its manifest and one folder per finished run.

Layout::

    results/<study>/
        manifest.json          spec, versions, git commit, host, times
        .lock                  locked while a study process writes here
        runs/<run_id>/         one folder per run, complete or absent:
            run.json           the run's config, status, timings, error and traceback
            steps.parquet  episodes.parquet  agents.parquet   (finished runs)
            learner_<k>.npz    the k-th group's learner as the run left it (state_dict)

A run folder appears by one ``rename`` of a completely written temporary folder, so a crash or
``kill -9`` at any moment leaves finished runs untouched and no half-written run behind (only
temporary folders, which the next start removes). Re-running a study skips finished runs.

Damage from outside (a truncated file, a disk error, a hand edit) is found, not trusted:
``run.json`` records the SHA-256 of each of the run's tables and learners, a resumed study
re-runs every run whose ``run.json`` cannot be read or whose files no longer match, and
readers leave such runs out, naming them, instead of failing on the whole study.

A run keeps its learners as they ended (each group's ``state_dict()``, a ``.npz`` read with
``allow_pickle=False``), so that they can play again later: against strangers in cross-play
(:mod:`socialrl.study.crossplay`), without learning.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from socialrl.learners.base import save_state
from socialrl.results import TABLES, atomic_write, check_table_name

__all__ = [
    "ADAPTIVE_FILE",
    "ResultsError",
    "RunOutcome",
    "StudyLock",
    "StudyLockedError",
    "StudyStore",
    "learner_file",
]

TMP_PREFIX = ".tmp-"
#: The decisions of adaptive replications' rounds (:mod:`socialrl.study.adaptive`).
ADAPTIVE_FILE = "adaptive.json"


class StudyLockedError(RuntimeError):
    """Another process is writing the same results folder."""


class ResultsError(RuntimeError):
    """A results folder that cannot be used as asked; one line naming the file and the fix.

    A damaged manifest, a folder that cannot be written, a study name that would leave the
    results root, a changed spec whose runs would be hidden.
    """


@dataclass
class RunOutcome:
    """What a worker sends back for one run: status, tables (or where it staged them), info.

    Attributes:
        run_id: The run.
        status: ``"done"`` or ``"failed"``.
        tables: The run's tables, when the worker did not write them itself.
        info: Config, status, timings, final metrics, error and traceback (``run.json``).
        staged: The temporary folder where a worker on this machine already wrote the run.
        learners: Each group's final ``state_dict()``, in the order of the run's groups, when
            the worker did not write them itself (cross-play loads them again).

    """

    run_id: str
    status: str
    tables: dict[str, pd.DataFrame] | None
    info: dict[str, Any]
    staged: str | None = None
    learners: list[dict[str, np.ndarray]] | None = None


class StudyLock:
    """An exclusive POSIX lock on ``<dir>/.lock``, released when the process ends (even kill -9).

    A POSIX record lock (``lockf``) belongs to the process alone: worker processes forked
    while it is held do not inherit it, so a killed study never leaves it held by orphans.
    Within one process (where POSIX locks do not exclude each other) a set of held paths
    does the job.
    """

    _held: ClassVar[set[Path]] = set()

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".lock"
        self._fh: Any = None

    def __enter__(self) -> StudyLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = self.path.resolve()
        if key in StudyLock._held:
            raise StudyLockedError(
                f"{self.path.parent} is being written by pid {os.getpid()} (this process); "
                "wait for that study to finish or choose another --out"
            )
        fh = open(self.path, "a+")
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StudyLockedError(
                f"{self.path.parent} is being written by {holder}; wait for that study to "
                "finish or choose another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        self._fh = fh
        StudyLock._held.add(key)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            StudyLock._held.discard(self.path.resolve())
            fcntl.lockf(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


class StudyStore:
    """Reads and writes one study's folder."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.runs_dir = self.dir / "runs"

    @classmethod
    def for_study(cls, out: str | Path, name: str) -> StudyStore:
        """The folder ``out/<name>``, refusing any name that would put it elsewhere.

        Study names are validated as one folder name already; this is the second lock on
        the door (``..``, ``.``, a slash or a link could otherwise write above ``out``).
        """
        root = Path(out).expanduser().resolve()
        directory = (root / name).resolve()
        if directory.parent != root or name in ("", ".", ".."):
            raise ResultsError(
                f"study name {name!r} would write outside {root}: a name is one folder name"
            )
        return cls(Path(out) / name)

    # ------------------------------------------------------------------ runs
    def finished(self) -> set[str]:
        """Ids of runs whose folder holds a ``done`` run.json and intact tables."""
        return {
            info["run_id"]
            for info in self.run_infos()
            if info.get("status") == "done" and self.intact(info) is None
        }

    def run_infos(self) -> list[dict[str, Any]]:
        """Every readable run.json (finished and failed runs); see :meth:`damaged`."""
        return [info for info in self._read_infos() if isinstance(info, dict)]

    def damaged(self) -> dict[str, str]:
        """``{run id: why}`` for every finished run that cannot be trusted.

        A ``run.json`` that is not valid JSON, or a ``done`` run whose tables are missing or
        differ from the checksums its ``run.json`` recorded. A resumed study re-runs them.
        """
        out = self.unreadable()
        for info in self._read_infos():
            if isinstance(info, dict) and info.get("status") == "done":
                problem = self.intact(info)
                if problem is not None:
                    out[info["run_id"]] = problem
        return out

    def unreadable(self) -> dict[str, str]:
        """``{run id: why}`` for every run folder whose run.json cannot be read (cheap)."""
        return self.read_runs()[1]

    def read_runs(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Every readable run.json, and ``{run id: why}`` of those that cannot be read.

        One pass over the run folders, for readers that want both (:class:`StudyResults`).
        """
        infos: list[dict[str, Any]] = []
        unreadable: dict[str, str] = {}
        for info in self._read_infos():
            if isinstance(info, str):
                run_id, _, why = info.partition(": ")
                unreadable[run_id] = why
            else:
                infos.append(info)
        return infos, unreadable

    def intact(self, info: dict[str, Any]) -> str | None:
        """Why a finished run's files cannot be trusted, or None when they match run.json."""
        folder = self.runs_dir / str(info.get("run_id"))
        expected = info.get("files")
        if not isinstance(expected, dict):  # written before checksums: the tables must exist
            missing = [n for n in TABLES if not (folder / f"{n}.parquet").exists()]
            return f"no {missing[0]}.parquet" if missing else None
        for name, digest in expected.items():
            path = folder / name
            if not path.is_file():
                return f"{name} is missing"
            if _sha256(path) != digest:
                return f"{name} does not match its checksum in run.json (damaged)"
        return None

    def _read_infos(self) -> list[dict[str, Any] | str]:
        """Each run folder's run.json, or ``"<run id>: why"`` where it cannot be read."""
        if not self.runs_dir.exists():
            return []
        infos: list[dict[str, Any] | str] = []
        for path in sorted(self.runs_dir.glob("*/run.json")):
            run_id = path.parent.name
            if run_id.startswith(TMP_PREFIX):
                continue
            try:
                info = json.loads(path.read_text())
            except (OSError, ValueError) as err:
                infos.append(f"{run_id}: run.json cannot be read ({type(err).__name__})")
                continue
            if not isinstance(info, dict) or info.get("run_id") != run_id:
                infos.append(f"{run_id}: run.json does not describe this run")
                continue
            infos.append(info)
        return infos

    def stage(self, outcome: RunOutcome) -> RunOutcome:
        """Write a run's folder completely under a temporary name (workers do this in parallel).

        Returns the outcome without its tables, pointing to the staged folder.
        """
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.runs_dir / f"{TMP_PREFIX}{outcome.run_id}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        files = {}
        for name, table in (outcome.tables or {}).items():
            table.to_parquet(tmp / f"{name}.parquet", index=False)
            files[f"{name}.parquet"] = _sha256(tmp / f"{name}.parquet")
        info = {**outcome.info, "files": files}
        if outcome.learners is not None:
            kept = [save_state(tmp / learner_file(k), s) for k, s in enumerate(outcome.learners)]
            files.update({path.name: _sha256(path) for path in kept})
            info["learners"] = [path.name for path in kept]
        (tmp / "run.json").write_text(json.dumps(info, indent=2, default=str))
        return RunOutcome(outcome.run_id, outcome.status, None, info, staged=str(tmp))

    def commit(self, outcome: RunOutcome) -> Path:
        """Move a run into place with one rename (staging it first if a worker did not).

        Durable against crashes and ``kill -9`` of any process (the folder appears whole or
        not at all); files are not fsync'ed, so a power cut may lose the last runs.
        """
        if outcome.staged is None:
            outcome = self.stage(outcome)
        final = self.runs_dir / outcome.run_id
        if final.exists():  # a failed run being retried
            shutil.rmtree(final)
        os.rename(outcome.staged, final)  # type: ignore[arg-type]
        return final

    def clean_temporary(self) -> int:
        """Remove temporary folders left by a crashed study; returns how many."""
        if not self.runs_dir.exists():
            return 0
        stale = [p for p in self.runs_dir.iterdir() if p.name.startswith(TMP_PREFIX)]
        for p in stale:
            shutil.rmtree(p, ignore_errors=True)
        return len(stale)

    def table_path(self, run_id: str, name: str) -> Path:
        """Where a run keeps one of its tables (a standard one or one of the model's extra ones).

        Raises:
            ValueError: for a name that is not a table's (names become file names).

        """
        if name not in TABLES:
            check_table_name(name)
        return self.runs_dir / run_id / f"{name}.parquet"

    def table_names(self) -> list[str]:
        """The standard tables, then every extra table some finished run wrote."""
        extra: set[str] = set()
        if self.runs_dir.exists():
            for path in self.runs_dir.glob("*/*.parquet"):
                if not path.parent.name.startswith(TMP_PREFIX) and _is_table_name(path.stem):
                    extra.add(path.stem)
        return [*TABLES, *sorted(extra - set(TABLES))]

    def reset(self) -> None:
        """Delete every run, the manifest and the adaptive rounds (``--fresh``)."""
        shutil.rmtree(self.runs_dir, ignore_errors=True)
        (self.dir / ADAPTIVE_FILE).unlink(missing_ok=True)
        (self.dir / "manifest.json").unlink(missing_ok=True)

    # ------------------------------------------------------------------ manifest
    def manifest(self) -> dict[str, Any] | None:
        """The manifest, or None for a folder no study has written.

        Raises:
            ResultsError: the manifest exists but cannot be read as a study's manifest.

        """
        path = self.dir / "manifest.json"
        if not path.exists():
            return None
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise ResultsError(
                f"{path}: damaged, not a readable manifest ({type(err).__name__}: "
                f"{str(err).splitlines()[0] if str(err) else ''}); the runs beside it are intact: "
                "run the study again to rewrite it"
            ) from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("spec"), dict):
            raise ResultsError(f"{path}: damaged, it holds no study spec; run the study again")
        return manifest

    def write_manifest(self, spec: dict[str, Any], source: str, **extra: Any) -> None:
        """Create or update the manifest (the spec, versions, commit, host, times)."""
        try:
            old = self.manifest() or {}
        except ResultsError:  # a damaged manifest is being replaced
            old = {}
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest = {
            "study": spec["name"],
            "source": source,
            "spec": spec,
            "versions": package_versions(),
            "git_commit": git_commit(),
            "host": {
                "name": socket.gethostname(),
                "platform": platform.platform(),
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
            },
            "created": old.get("created", now),
            "updated": now,
            **extra,
        }
        text = json.dumps(manifest, indent=2, default=str)
        atomic_write(self.dir / "manifest.json", lambda p: p.write_text(text))


def package_versions() -> dict[str, str]:
    """Versions of the packages a result depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in (
        "socialrl",
        "mesa",
        "numpy",
        "pandas",
        "gymnasium",
        "pettingzoo",
        "numba",
        "torch",
        "ray",
    ):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def git_commit() -> str | None:
    """The commit of the socialrl checkout in use (None outside a git checkout)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def learner_file(group: int) -> str:
    """The file of a run's ``group``-th learner's final state (a ``.npz``, never pickled)."""
    return f"learner_{group}.npz"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_table_name(name: str) -> bool:
    try:
        check_table_name(name)
    except ValueError:
        return False
    return True
