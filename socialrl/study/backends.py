"""Where runs execute: in the study process, in local worker processes, or on a Ray cluster.

Every backend calls the same :func:`~socialrl.study.execute.execute_run` on the same configs
and hands each :class:`~socialrl.study.store.RunOutcome` to the study process, which alone
writes results. So a study gives identical results on every backend, and a cluster needs no
shared file system.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from socialrl.study.design import RunConfig
from socialrl.study.execute import execute_run, limit_threads
from socialrl.study.store import RunOutcome, StudyStore

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendError",
    "LocalBackend",
    "RayBackend",
    "SequentialBackend",
    "make_backend",
]

OnOutcome = Callable[[RunOutcome], None]
OnProgress = Callable[[str, int, int], None]


class Backend(Protocol):
    """Executes runs and reports each outcome (and optional progress within runs)."""

    #: What the manifest records as the study's backend ("local", "ray", …).
    name: str

    def run(
        self,
        configs: Sequence[RunConfig],
        on_outcome: OnOutcome,
        on_progress: OnProgress | None,
        store: StudyStore,
    ) -> None:
        """Execute every config; call ``on_outcome`` once per run, in completion order.

        Backends on this machine stage each run's folder in ``store`` themselves (in
        parallel); remote ones return the tables and the study process writes them.
        """
        ...


class SequentialBackend:
    """One run after another in the study process (for debugging: breakpoints work)."""

    name = "sequential"

    def run(
        self,
        configs: Sequence[RunConfig],
        on_outcome: OnOutcome,
        on_progress: OnProgress | None,
        store: StudyStore,
    ) -> None:
        """Execute in order."""
        for config in configs:
            on_outcome(store.stage(execute_run(config, on_progress)))


# ---------------------------------------------------------------------------- local processes
_progress: Any = None  # the study's progress board, in a worker
_slot = -1  # the board row of the run this worker is executing
_store: StudyStore | None = None

#: How often the study process reads the progress board and looks for finished runs.
POLL_SECONDS = 0.2


class ProgressBoard:
    """Each run's progress as two int64 cells (step, total), written without any lock.

    Workers report progress by writing their run's row; the study process reads the rows
    of the runs in flight a few times a second. Nothing is shared but plain memory: a
    ``multiprocessing.Queue`` has a lock, and a worker killed while holding it (a segfault,
    the out-of-memory killer, ``os._exit`` inside a run) leaves every other worker blocked
    on it and the study hanging in the pool's shutdown. A torn read of a row is harmless: it
    is only a progress bar.
    """

    def __init__(self, runs: int, context: Any) -> None:
        self.cells = context.RawArray("q", 2 * max(runs, 1))
        self._shown: dict[int, tuple[int, int]] = {}

    def report(self, row: int, step: int, total: int) -> None:
        """Write one run's progress (in the worker)."""
        self.cells[2 * row] = step
        self.cells[2 * row + 1] = total

    def forward(self, rows: dict[int, str], on_progress: OnProgress) -> None:
        """Call ``on_progress`` for every run in ``rows`` (row → run id) that moved."""
        for row, run_id in rows.items():
            now = (self.cells[2 * row], self.cells[2 * row + 1])
            if now[1] and self._shown.get(row) != now:
                self._shown[row] = now
                on_progress(run_id, *now)


def _init_worker(board: ProgressBoard | None, store: StudyStore) -> None:
    global _progress, _store
    _progress, _store = board, store
    limit_threads()
    _die_with_parent()


def _die_with_parent() -> None:
    """On Linux, end this worker when the study process dies (even by ``kill -9``)."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        return


def _report(run_id: str, step: int, total: int) -> None:
    if _progress is not None:
        _progress.report(_slot, step, total)


def _execute_in_worker(row: int, config: RunConfig) -> RunOutcome:
    global _slot
    _slot = row
    outcome = execute_run(config, _report if _progress is not None else None)
    return _store.stage(outcome) if _store is not None else outcome


def _died(config: RunConfig, err: BaseException) -> RunOutcome:
    info = {
        **config.to_dict(),
        "status": "failed",
        "error": f"worker process died while running this run ({type(err).__name__}: {err})",
        "traceback": "",
    }
    return RunOutcome(config.run_id, "failed", None, info)


class LocalBackend:
    """A pool of worker processes on this machine (the default; workers = cores).

    At most ``2 × workers`` runs are in flight. If a worker process dies (a segfault, the
    out-of-memory killer, ``os._exit``), the pool breaks and every run then in flight is a
    suspect: each suspect is re-run alone in a fresh one-worker pool, so the run that kills its
    worker is recorded as failed and the innocent ones complete. Workers share no lock with
    each other or the study process (progress goes through a :class:`ProgressBoard`), so a
    death can never leave the study waiting.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def _pool(self, workers: int, board: ProgressBoard | None, store: StudyStore) -> Any:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=_init_worker,
            initargs=(board, store),
        )

    def run(
        self,
        configs: Sequence[RunConfig],
        on_outcome: OnOutcome,
        on_progress: OnProgress | None,
        store: StudyStore,
    ) -> None:
        """Execute in the pool; survive dying workers."""
        if not configs:
            return
        _warm_up()
        board = ProgressBoard(len(configs), _context()) if on_progress is not None else None
        rows = list(enumerate(configs))
        suspects = self._run_pool(rows, self.workers, board, on_outcome, on_progress, store)
        for row in suspects:  # alone, so a death is attributable
            if self._run_pool([row], 1, board, on_outcome, on_progress, store):
                on_outcome(_died(row[1], BrokenProcessPool("the worker exited abruptly")))

    def _run_pool(
        self,
        todo: list[tuple[int, RunConfig]],
        workers: int,
        board: ProgressBoard | None,
        on_outcome: OnOutcome,
        on_progress: OnProgress | None,
        store: StudyStore,
    ) -> list[tuple[int, RunConfig]]:
        """Run ``todo``; returns the runs in flight when the pool broke (if it did)."""
        pending = list(reversed(todo))
        in_flight: dict[Future[RunOutcome], tuple[int, RunConfig]] = {}
        with self._pool(workers, board, store) as pool:
            try:
                while pending or in_flight:
                    while pending and len(in_flight) < 2 * workers:
                        row = pending[-1]
                        in_flight[pool.submit(_execute_in_worker, *row)] = row
                        pending.pop()  # only once submitted: a broken pool refuses the submit
                    done, _ = wait(in_flight, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                    if board is not None and on_progress is not None:
                        board.forward({r: c.run_id for r, c in in_flight.values()}, on_progress)
                    for future in done:
                        outcome = future.result()  # raises BrokenProcessPool if its worker died
                        in_flight.pop(future)
                        on_outcome(outcome)
            except BrokenProcessPool:
                # A worker died: while a result is read, or between two reads (then the next
                # submit is refused). Every run still in flight is a suspect; the rest go on.
                suspects = list(in_flight.values())
                pool.shutdown(wait=False, cancel_futures=True)
                rest = list(reversed(pending))
                again = self._run_pool(rest, workers, board, on_outcome, on_progress, store)
                return suspects + again
        return []


def _context() -> Any:
    """The start method of worker processes: ``fork`` where the platform has it.

    Forked workers start at once with every module imported and every compiled kernel
    loaded (importing the scientific stack takes seconds); the study process starts no
    threads before its pool.
    """
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


def _warm_up() -> None:
    """Load the tabular kernels here, so forked workers inherit them compiled.

    Runs the lab's own Q-learner on a toy batch — never the study's code, which might crash.
    """
    import gymnasium as gym
    import numpy as np

    from socialrl.learners.q_learning import QLearning

    learner = QLearning()
    learner.bind(2, gym.spaces.Discrete(2), gym.spaces.Discrete(2), np.random.SeedSequence(0))
    states = np.zeros(2, dtype=np.int64)
    learner.learn(states, learner.act(states), np.zeros(2), states, np.zeros(2, dtype=bool))
    learner.greedy(states)


# ---------------------------------------------------------------------------- Ray
def _ray_execute(config: RunConfig) -> RunOutcome:
    import ray

    limit_threads()
    outcome = execute_run(config)
    outcome.info["node"] = ray.get_runtime_context().get_node_id()  # where it ran (run.json)
    return outcome


class BackendError(RuntimeError):
    """A backend that cannot start (a cluster that cannot be reached); one line saying why."""


class RayBackend:
    """Runs as Ray tasks, on an existing cluster or a local one started here.

    Args:
        address: ``"ray://host:10001"`` or ``"host:6379"`` of a running cluster; default the
            ``RAY_ADDRESS`` environment variable, else a local cluster is started.
        workers: CPUs of the local cluster (default: all); ignored for an existing cluster.

    Clusters with token authentication (the default from Ray 2.59 for local clusters and Ray
    2.61 for all) need ``RAY_AUTH_MODE=token`` and the cluster's token (``RAY_AUTH_TOKEN`` or
    ``RAY_AUTH_TOKEN_PATH``, or the default token file) in the environment of this process.

    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        self.address = address or os.environ.get("RAY_ADDRESS")
        self.workers = workers

    def run(
        self,
        configs: Sequence[RunConfig],
        on_outcome: OnOutcome,
        on_progress: OnProgress | None,
        store: StudyStore,
    ) -> None:
        """Submit every run as a task (at most twice the cluster's CPUs in flight)."""
        import ray

        started_here = not ray.is_initialized()
        if started_here:
            self._connect(ray)
        try:
            # A run is deterministic, so a node lost under it (pre-emption, a crash) may run it
            # again elsewhere; a run whose own code raises is not retried (retry_exceptions).
            task = ray.remote(num_cpus=1, max_retries=2)(_ray_execute)
            capacity = max(1, int(ray.cluster_resources().get("CPU", 1)))
            pending = list(reversed(configs))
            in_flight: dict[Any, RunConfig] = {}
            while pending or in_flight:
                while pending and len(in_flight) < 2 * capacity:
                    config = pending.pop()
                    in_flight[task.remote(config)] = config
                ready, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in ready:
                    config = in_flight.pop(ref)
                    try:
                        on_outcome(ray.get(ref))
                    except ray.exceptions.RayError as err:  # a lost worker or node, OOM, …
                        on_outcome(_died(config, err))
        finally:
            if started_here:
                ray.shutdown()

    def _connect(self, ray: Any) -> None:
        """Join the cluster at ``address`` (or start a local one); a one-line error if not."""
        if not self.address:
            ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
            return
        try:
            ray.init(address=self.address, log_to_driver=False)
        except (ConnectionError, RuntimeError) as err:
            auth = os.environ.get("RAY_AUTH_MODE", "unset")
            raise BackendError(
                f"--address {self.address}: cannot connect to the Ray cluster "
                f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); is it "
                f"up (`ray status` on the head)? With token authentication this process needs "
                f"RAY_AUTH_MODE=token (now: {auth}) and the cluster's token (RAY_AUTH_TOKEN)"
            ) from None


BACKENDS = ("local", "sequential", "ray")


def make_backend(name: str, workers: int | None = None, address: str | None = None) -> Backend:
    """A backend by name: ``local`` (default), ``sequential`` or ``ray``."""
    if name == "local":
        return LocalBackend(workers)
    if name == "sequential":
        return SequentialBackend()
    if name == "ray":
        return RayBackend(address, workers)
    raise ValueError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
