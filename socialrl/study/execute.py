"""One run, as a worker executes it: config in, outcome out, never an exception.

The same function runs in the study process (sequential backend), in a local worker process
and in a Ray task, so a run's tables depend only on its :class:`RunConfig` — identical on
every backend. A run that raises, or whose learners diverge, comes back as ``failed`` with its
error and traceback; the study goes on. A finished run hands back its learners' final states
too (:func:`final_states`), which the store keeps beside the tables.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from socialrl.population import Population
from socialrl.run import run_simulation
from socialrl.study.design import RunConfig, build_population
from socialrl.study.store import RunOutcome

__all__ = ["execute_run", "final_states", "limit_threads"]


def limit_threads() -> None:
    """One compute thread per worker process: the study parallelises over runs, not inside."""
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass
    torch = sys.modules.get("torch")  # only if loaded: importing torch takes seconds
    if torch is not None:
        torch.set_num_threads(1)


def execute_run(
    config: RunConfig, progress: Callable[[str, int, int], None] | None = None
) -> RunOutcome:
    """Run one configuration and return its tables (or its error).

    Args:
        config: The run.
        progress: Optional ``(run_id, step, total_steps)`` callback for progress bars.

    """
    started = time.time()
    info: dict[str, Any] = {
        **config.to_dict(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": started,
    }
    try:
        total = config.run.steps or 0
        report = None if progress is None else (lambda t: progress(config.run_id, t, total))
        population = build_population(config.groups)
        results = run_simulation(
            config.model,
            config.model_params,
            population,
            config.run,
            seed=config.seed,
            progress=report,
        )
        learners = final_states(population) if config.run.keep_learners else []
    except Exception as err:  # a failed run is data: recorded, not raised
        info.update(
            status="failed",
            error=f"{type(err).__name__}: {err}",
            traceback=traceback.format_exc(),
            finished=time.time(),
            seconds=time.time() - started,
        )
        return RunOutcome(config.run_id, "failed", None, info)
    info.update(
        status="done",
        finished=time.time(),
        seconds=time.time() - started,
        steps_run=results.meta["steps"],
        final=_final_metrics(results.steps),
    )
    return RunOutcome(config.run_id, "done", dict(results.tables()), info, learners=learners)


def final_states(population: Population) -> list[dict[str, np.ndarray]]:
    """Each group's learner as the run left it, in the order of the run's groups.

    The store keeps them beside the tables, so that a trained population can play again
    (cross-play) without training it a second time.
    """
    return [learner.state_dict() for _name, _role, learner, _slots in population.bound_groups]


def _final_metrics(steps: Any) -> dict[str, float]:
    """The last ``steps`` row, as the run's final metrics."""
    if len(steps) == 0:
        return {}
    last = steps.iloc[-1]
    return {k: float(v) for k, v in last.items() if k != "step"}
