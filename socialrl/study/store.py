"""A study on disk: the folder, its lock, its manifest and one folder per finished run.

Layout::

    results/<study>/
        manifest.json          spec, versions, git commit, host, times
        .lock                  locked while a study process writes here
        runs/<run_id>/         one folder per run, complete or absent:
            run.json           the run's config, status, timings, error and traceback
            steps.parquet  episodes.parquet  agents.parquet   (finished runs)

A run folder appears by one ``rename`` of a completely written temporary folder, so a crash or
``kill -9`` at any moment leaves finished runs untouched and no half-written run behind (only
temporary folders, which the next start removes). Re-running a study skips finished runs.
"""

from __future__ import annotations

import fcntl
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

import pandas as pd

from socialrl.results import TABLES, atomic_write, check_table_name

__all__ = ["RunOutcome", "StudyLock", "StudyLockedError", "StudyStore"]

TMP_PREFIX = ".tmp-"


class StudyLockedError(RuntimeError):
    """Another process is writing the same results folder."""


@dataclass
class RunOutcome:
    """What a worker sends back for one run: status, tables (or where it staged them), info.

    Attributes:
        run_id: The run.
        status: ``"done"`` or ``"failed"``.
        tables: The run's tables, when the worker did not write them itself.
        info: Config, status, timings, final metrics, error and traceback (``run.json``).
        staged: The temporary folder where a worker on this machine already wrote the run.

    """

    run_id: str
    status: str
    tables: dict[str, pd.DataFrame] | None
    info: dict[str, Any]
    staged: str | None = None


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

    # ------------------------------------------------------------------ runs
    def finished(self) -> set[str]:
        """Ids of runs whose folder holds a ``done`` run.json."""
        done = set()
        for info in self.run_infos():
            if info.get("status") == "done":
                done.add(info["run_id"])
        return done

    def run_infos(self) -> list[dict[str, Any]]:
        """Every run.json (finished and failed runs)."""
        if not self.runs_dir.exists():
            return []
        infos = []
        for path in sorted(self.runs_dir.glob("*/run.json")):
            if path.parent.name.startswith(TMP_PREFIX):
                continue
            infos.append(json.loads(path.read_text()))
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
        for name, table in (outcome.tables or {}).items():
            table.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "run.json").write_text(json.dumps(outcome.info, indent=2, default=str))
        return RunOutcome(outcome.run_id, outcome.status, None, outcome.info, staged=str(tmp))

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
        """Delete every run and the manifest (``--fresh``)."""
        shutil.rmtree(self.runs_dir, ignore_errors=True)
        (self.dir / "manifest.json").unlink(missing_ok=True)

    # ------------------------------------------------------------------ manifest
    def manifest(self) -> dict[str, Any] | None:
        """The manifest, or None for a folder no study has written."""
        path = self.dir / "manifest.json"
        return json.loads(path.read_text()) if path.exists() else None

    def write_manifest(self, spec: dict[str, Any], source: str, **extra: Any) -> None:
        """Create or update the manifest (the spec, versions, commit, host, times)."""
        old = self.manifest() or {}
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


def _is_table_name(name: str) -> bool:
    try:
        check_table_name(name)
    except ValueError:
        return False
    return True
