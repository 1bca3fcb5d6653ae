"""Benchmark: the study machinery's own overhead on 1,000 tiny runs.

What is measured
    1,000 runs of a few steps each (2 Q-learning walkers, 5 steps, the 3-cell maze "S.G"), so
    almost all the time is machinery rather than simulation:

    * **direct**: the same 1,000 run configurations called one after another with
      ``socialrl.simulate`` in a plain loop (tables built in memory, nothing written);
    * **study (local)**: ``run_study`` with the default local backend (worker processes = cores):
      expansion, validation, the lock, the manifest, worker processes, every run's tables
      written to Parquet and moved into place atomically;
    * **study (sequential)**: the same in one process (for reference).

Why
    The issue's target: the local backend finishes in ≤ 2× the time of the direct loop. Every
    figure is the best of ``--repeat`` tries (shared machines are noisy). The script is a report
    and always exits with status 0.

Usage
    ``python bench/bench_study_overhead.py`` (about a minute); ``--runs 100`` for a smoke run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import socialrl  # noqa: E402
from socialrl.population import Group, Population  # noqa: E402
from socialrl.registry import make_learner  # noqa: E402
from socialrl.study import (  # noqa: E402
    GroupSpec,
    ModelSpec,
    RunSettings,
    StudySpec,
    expand,
    run_study,
)

TARGET_RATIO = 2.0


def tiny_study(runs: int) -> StudySpec:
    """``runs`` replications of a 5-step, 2-walker run."""
    return StudySpec(
        name="overhead",
        seed=1,
        replications=runs,
        model=ModelSpec(name="maze", params={"layout": "S.G", "n_walkers": 2}),
        population=[GroupSpec(role="walker", learner="q_learning", params={"alpha": 0.5})],
        run=RunSettings(steps=5, record_every=5),
    )


def direct(spec: StudySpec) -> float:
    """Seconds for the same runs called in a loop."""
    configs = expand(spec)
    started = time.perf_counter()
    for config in configs:
        population = Population(
            [
                Group(make_learner(g.learner, g.params), role=g.role, name=g.name)
                for g in config.groups
            ]
        )
        socialrl.simulate(
            config.model,
            config.model_params,
            population,
            steps=config.run.steps,
            seed=config.seed,
            record_every=config.run.record_every,
        )
    return time.perf_counter() - started


def study(spec: StudySpec, backend: str) -> float:
    """Seconds for ``run_study`` into a fresh temporary folder."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        report = run_study(spec, out=out, backend=backend, resume=False)
        elapsed = time.perf_counter() - started
    if report.done != report.total:
        raise RuntimeError(f"{report.failed} of {report.total} runs failed")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spec = tiny_study(args.runs)
    direct(tiny_study(5))  # load compiled kernels once, outside the timings
    best = {"direct": np.inf, "local": np.inf, "sequential": np.inf}
    for _ in range(args.repeat):
        best["direct"] = min(best["direct"], direct(spec))
        best["local"] = min(best["local"], study(spec, "local"))
        best["sequential"] = min(best["sequential"], study(spec, "sequential"))
    print("socialrl study overhead: 1 run = 2 Q-learning walkers × 5 steps in the maze 'S.G'")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; best of {args.repeat}\n")
    print(f"{'path':<20} {'runs':>6} {'seconds':>9} {'ms/run':>8} {'ratio':>7}")
    for name in ("direct", "local", "sequential"):
        seconds = best[name]
        ratio = seconds / best["direct"]
        label = {
            "direct": "direct loop",
            "local": "study (local)",
            "sequential": "study (sequential)",
        }[name]
        print(
            f"{label:<20} {args.runs:>6} {seconds:>9.2f} {seconds / args.runs * 1e3:>8.2f} "
            f"{ratio:>6.2f}x"
        )
    ratio = best["local"] / best["direct"]
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"\ntarget: study (local) ≤ {TARGET_RATIO:.0f}× direct loop: {ratio:.2f}x -> {verdict}")


if __name__ == "__main__":
    main()
