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

__all__ = ["BACKENDS", "Backend", "LocalBackend", "RayBackend", "SequentialBackend", "make_backend"]

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
_progress_queue: Any = None
_store: StudyStore | None = None


def _init_worker(queue: Any, store: StudyStore) -> None:
    global _progress_queue, _store
    _progress_queue, _store = queue, store
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
    if _progress_queue is not None:
        _progress_queue.put((run_id, step, total))


def _execute_in_worker(config: RunConfig) -> RunOutcome:
    outcome = execute_run(config, _report if _progress_queue is not None else None)
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
    worker is recorded as failed and the innocent ones complete.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def _pool(self, workers: int, queue: Any, store: StudyStore) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=_init_worker,
            initargs=(queue, store),
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
        queue, pump = _progress_pump(on_progress)
        try:
            suspects = self._run_pool(list(configs), self.workers, queue, on_outcome, store)
            for config in suspects:  # alone, so a death is attributable
                if self._run_pool([config], 1, queue, on_outcome, store):
                    on_outcome(_died(config, BrokenProcessPool("the worker exited abruptly")))
        finally:
            pump.stop()

    def _run_pool(
        self,
        todo: list[RunConfig],
        workers: int,
        queue: Any,
        on_outcome: OnOutcome,
        store: StudyStore,
    ) -> list[RunConfig]:
        """Run ``todo``; returns the runs in flight when the pool broke (if it did)."""
        pending = list(reversed(todo))
        in_flight: dict[Future[RunOutcome], RunConfig] = {}
        with self._pool(workers, queue, store) as pool:
            while pending or in_flight:
                while pending and len(in_flight) < 2 * workers:
                    config = pending.pop()
                    in_flight[pool.submit(_execute_in_worker, config)] = config
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    config = in_flight.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        in_flight[future] = config
                        suspects = list(in_flight.values())
                        pool.shutdown(wait=False, cancel_futures=True)
                        rest = list(reversed(pending))
                        return suspects + self._run_pool(rest, workers, queue, on_outcome, store)
                    on_outcome(outcome)
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


class _Pump:
    """Drains a progress queue on a thread and forwards to the callback."""

    def __init__(self, queue: Any, callback: OnProgress) -> None:
        import threading

        self.queue, self.callback = queue, callback
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            self.callback(*item)

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=5)


class _NoPump:
    def stop(self) -> None:
        pass


def _progress_pump(on_progress: OnProgress | None) -> tuple[Any, _Pump | _NoPump]:
    if on_progress is None:
        return None, _NoPump()
    queue = _context().Queue()
    return queue, _Pump(queue, on_progress)


# ---------------------------------------------------------------------------- Ray
def _ray_execute(config: RunConfig) -> RunOutcome:
    limit_threads()
    return execute_run(config)


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
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        try:
            task = ray.remote(num_cpus=1, max_retries=0)(_ray_execute)
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
                    except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayTaskError) as err:
                        on_outcome(_died(config, err))
        finally:
            if started_here:
                ray.shutdown()


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
