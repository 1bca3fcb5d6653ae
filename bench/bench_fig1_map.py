"""How long does Calvano et al.'s Figure 1 take: the default map, and the full one extrapolated.

Two measurements in one run (this machine is shared and noisy: compare within a run):

1. **Baseline**: the compiled session loop alone — ``--markets`` baseline markets (α 0.15,
   β 4 × 10⁻⁶) for ``--periods`` periods on one thread, nanoseconds per session-period.
2. **The map**: ``studies/calvano2020_fig1.toml`` through ``run_study`` on the local backend
   (every core) — wall time, sessions, session-periods, the cost per session-period per core,
   and its ratio to (1): what the study machinery, the adaptive rounds and the cores' sharing
   add to the bare loop.

From the map's own sessions it fits ``periods to converge ≈ k / β`` and extrapolates the full
map of the paper (100 × 100 cells: α on 0.025 … 0.25, β = 2 × 10⁻⁷ … 2 × 10⁻⁵ in steps of
2 × 10⁻⁷, 1,000 sessions per cell) to session-periods and core-hours at the measured cost.
It also prints Δ at the map's corners and centre.

Usage::

    python bench/bench_fig1_map.py                      # about 10 minutes on 2 cores
    python bench/bench_fig1_map.py --keep results       # keep the study's results there
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_calvano import lab_path  # noqa: E402

from socialrl.study import load_results, run_study  # noqa: E402

ALPHA, BETA = "population.firm.alpha", "population.firm.epsilon.beta"
#: The paper's full map: α and β grids, sessions per cell.
FULL_ALPHA = np.linspace(0.025, 0.25, 100)
FULL_BETA = np.arange(1, 101) * 2e-7
FULL_SESSIONS = 1000


def run_map(study: Path, out: Path, workers: int | None) -> tuple[float, pd.DataFrame]:
    """Wall seconds of the study, and one row per market: α, β, Δ, converged, periods."""
    started = time.perf_counter()
    report = run_study(study, out=out, backend="local", workers=workers)
    wall = time.perf_counter() - started
    markets = load_results(report.path).table("markets")
    per_market = (
        markets.groupby(["run_id", "market"], observed=True)
        .agg(
            alpha=(ALPHA, "first"),
            beta=(BETA, "first"),
            delta=("delta", "mean"),
            converged=("converged", "first"),
            periods=("converged_at", "first"),
        )
        .reset_index()
    )
    return wall, per_market


def corners(per_market: pd.DataFrame) -> str:
    """Mean Δ at the four corners and the centre of the α × β grid, with n markets."""
    cells = per_market.groupby(["alpha", "beta"])["delta"].agg(["mean", "count"])
    alphas = sorted(per_market["alpha"].unique())
    betas = sorted(per_market["beta"].unique())
    spots = [
        (alphas[0], betas[0]),
        (alphas[0], betas[-1]),
        (alphas[-1], betas[0]),
        (alphas[-1], betas[-1]),
        (alphas[len(alphas) // 2], betas[len(betas) // 2]),
    ]
    lines = []
    for a, b in spots:
        mean, n = cells.loc[(a, b)]
        lines.append(f"    α {a:<6g} β {b:<8.2g} Δ {mean:.3f}   (n = {int(n)} markets)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=ROOT / "studies" / "calvano2020_fig1.toml")
    parser.add_argument("--markets", type=int, default=100, help="markets of the baseline")
    parser.add_argument("--periods", type=int, default=200_000, help="periods of the baseline")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="keep the results here")
    args = parser.parse_args()
    import numba

    numba.set_num_threads(1)
    seconds, _ = lab_path(args.markets, args.periods)
    baseline = seconds / (args.markets * args.periods) * 1e9
    out = args.keep or Path(tempfile.mkdtemp(prefix="bench_fig1_"))
    try:
        wall, per_market = run_map(args.study, out, args.workers)
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)
    cores = args.workers or os.cpu_count() or 1
    periods = per_market["periods"].clip(lower=0).astype(float)
    session_periods = float(periods.sum())
    per_core = wall * cores / session_periods * 1e9
    converged = per_market[per_market["converged"]]
    k = float((converged["periods"] * converged["beta"]).mean())
    full = FULL_SESSIONS * len(FULL_ALPHA) * float((k / FULL_BETA).sum())
    shape = f"{args.markets} markets × {args.periods:,} periods"
    print(f"(1) baseline: the compiled loop, {shape}, 1 thread")
    print(f"    {baseline:10.1f} ns per session-period")
    print(f"(2) the map: {args.study.name} on the local backend, {cores} workers")
    print(f"    wall time            {wall:10.1f} s   (target ≤ 1,200 s)")
    cells = per_market.groupby(["alpha", "beta"]).ngroups
    print(f"    sessions             {len(per_market):10,d}   ({cells} cells)")
    print(f"    session-periods      {session_periods:10.3g}")
    print(f"    cost                 {per_core:10.1f} ns per session-period per core")
    print(f"    ratio to (1)         {per_core / baseline:10.2f}×")
    print(f"    converged            {per_market['converged'].mean():10.1%}")
    print(f"    Δ, all sessions      {per_market['delta'].mean():10.3f}")
    print("    Δ at the corners and the centre:")
    print(corners(per_market))
    print(f"(3) the full map (100 × 100, β from 2e-7, {FULL_SESSIONS:,} sessions per cell)")
    print(
        f"    periods to converge ≈ k/β with k = {k:.3g} (fitted on the map's converged sessions)"
    )
    print(f"    session-periods      {full:10.3g}")
    print(f"    core-hours           {full * per_core * 1e-9 / 3600:10.0f}   at (2)'s cost")
    print(f"    core-hours           {full * baseline * 1e-9 / 3600:10.0f}   at (1)'s cost")


if __name__ == "__main__":
    main()
