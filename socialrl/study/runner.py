"""Running a study: expand, validate, lock, skip what is done, execute the rest, record."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from socialrl.study.adaptive import check_adaptive, run_rounds
from socialrl.study.backends import Backend, make_backend
from socialrl.study.design import MAX_RUNS, RunConfig, check_size, check_values, expand, validate
from socialrl.study.results import load_results
from socialrl.study.spec import StudySpec, load_study
from socialrl.study.store import ResultsError, RunOutcome, StudyLock, StudyStore
from socialrl.study.versions import check_same_study

__all__ = ["StudyReport", "plan_study", "run_study"]


@dataclass(frozen=True)
class StudyReport:
    """What a call of :func:`run_study` did.

    Attributes:
        path: The study's results folder.
        total: Runs in the study.
        skipped: Runs already finished before this call (resumed).
        done: Runs finished by this call.
        failed: Runs that failed in this call.
        seconds: Wall time of this call.

    """

    path: Path
    total: int
    skipped: int
    done: int
    failed: int
    seconds: float


def plan_study(
    study: StudySpec | str | Path, max_runs: int = MAX_RUNS
) -> tuple[StudySpec, str, list[RunConfig]]:
    """Load, expand and validate a study without running it (errors name file and key)."""
    if isinstance(study, StudySpec):
        spec, source = study, f"study '{study.name}'"
    else:
        spec, source = load_study(study)
    check_values(spec, source)
    check_size(spec, source, max_runs)
    runs = expand(spec, source)
    validate(spec, runs, source)
    check_adaptive(spec, runs[0] if runs else None, source)
    return spec, source, runs


def run_study(
    study: StudySpec | str | Path,
    *,
    out: str | Path = "results",
    backend: str | Backend = "local",
    workers: int | None = None,
    address: str | None = None,
    resume: bool = True,
    max_runs: int = MAX_RUNS,
    on_start: Callable[[int, int], None] | None = None,
    on_outcome: Callable[[RunOutcome], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> StudyReport:
    """Run (or resume) a study and write its results under ``out/<study name>/``.

    Args:
        study: A :class:`StudySpec`, or the path of a ``.toml``/``.py`` study.
        out: Root folder of results.
        backend: ``"local"`` (worker processes, the default), ``"sequential"``, ``"ray"``, or a
            backend object.
        workers: Worker processes (local) or CPUs of a local Ray cluster; default: all cores.
        address: Address of an existing Ray cluster (default: ``RAY_ADDRESS``).
        resume: Skip runs already finished in the folder; False starts afresh (``--fresh``),
            deleting the folder's runs, also those of an earlier version of the study.
        max_runs: Refuse a study that expands to more runs (``--max-runs``).
        on_start: Called with ``(runs to do, runs skipped)`` before execution.
        on_outcome: Called after each run's result is on disk.
        on_progress: ``(run_id, step, total)`` within runs, for progress bars.

    Raises:
        SpecError: a bad spec (before any run starts).
        StudyLockedError: another process is writing the same folder.
        ResultsError: the folder cannot be written, or holds finished runs of another version
            of the study that this one would hide (before any run starts).

    """
    started = time.perf_counter()
    spec, source, runs = plan_study(study, max_runs)
    executor = make_backend(backend, workers, address) if isinstance(backend, str) else backend
    store = StudyStore.for_study(out, spec.name)
    _check_writable(Path(out))
    runs, todo, counts = _execute_locked(
        store, spec, source, runs, executor, resume, on_start, on_outcome, on_progress
    )
    return StudyReport(
        path=store.dir,
        total=len(runs),
        skipped=len(runs) - len(todo),
        done=counts["done"],
        failed=counts["failed"],
        seconds=time.perf_counter() - started,
    )


def _execute_locked(
    store: StudyStore,
    spec: StudySpec,
    source: str,
    runs: list[RunConfig],
    executor: Backend,
    resume: bool,
    on_start: Callable[[int, int], None] | None,
    on_outcome: Callable[[RunOutcome], None] | None,
    on_progress: Callable[[str, int, int], None] | None,
) -> tuple[list[RunConfig], list[RunConfig], dict[str, int]]:
    """Execute the unfinished runs while holding the study folder's lock.

    Everything that writes the folder (reset, clean-up, both manifests, each run's commit)
    happens under one :class:`StudyLock`, so two processes never interleave writes to the same
    study. With adaptive replications the runs go in rounds (:func:`run_rounds`), each
    round's runs in the manifest. Returns the study's runs (the last round's, adaptive), the
    runs that were to do and the ``done``/``failed`` counts.
    """
    counts = {"done": 0, "failed": 0}
    todo: list[RunConfig] = []
    planned_runs = list(runs)  # the last round's, with adaptive replications

    def write_manifest(planned: list[RunConfig]) -> None:  # each round, and with the end time
        ids = [r.run_id for r in planned]
        store.write_manifest(spec.to_dict(), source, run_ids=ids, backend=executor.name)

    def record(outcome: RunOutcome) -> None:
        store.commit(outcome)
        counts[outcome.status] += 1
        if on_outcome is not None:
            on_outcome(outcome)

    def execute(planned: list[RunConfig]) -> None:
        """Run what of ``planned`` is not finished (a round of adaptive replications)."""
        write_manifest(planned)
        finished = store.finished()
        round_todo = [r for r in planned if r.run_id not in finished]
        todo.extend(round_todo)
        if on_start is not None:
            on_start(len(round_todo), len(planned) - len(round_todo))
        executor.run(round_todo, record, on_progress, store)
        planned_runs[:] = planned

    with StudyLock(store.dir):
        if resume:
            most = runs if spec.adaptive is None else expand(spec, source, spec.most_replications)
            check_same_study(store, spec, {r.run_id for r in most})
        else:
            store.reset()
        store.clean_temporary()
        if spec.adaptive is None:
            execute(runs)
        else:
            n_points = max((r.point for r in runs), default=-1) + 1
            run_rounds(spec, source, execute, lambda: load_results(store.dir), n_points, store.dir)
        write_manifest(planned_runs)
    return planned_runs, todo, counts


def _check_writable(out: Path) -> None:
    """A one-line error, before any run, when ``out`` cannot hold results."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".socialrl-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise ResultsError(
            f"--out {out}: cannot write results there ({type(err).__name__}: {err.strerror or err})"
        ) from None
