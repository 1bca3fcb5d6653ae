"""How fast does the lab replicate Calvano et al. (2020)?

Three measurements in one run (this machine is shared and noisy: compare within a run):

1. **The lab's path** — ``simulate`` with the pricing model and a Q-learning population
   (the compiled sessions), ``--markets`` markets for ``--periods`` periods from the start of
   learning: nanoseconds per session-period.
2. **A straightforward per-session Python loop** of the same algorithm (NumPy per period, one
   session at a time, as a researcher would first write it), for ``--python-periods`` periods:
   nanoseconds per session-period, and the ratio to (1).
3. With ``--full``: the whole baseline study, ``studies/calvano2020_baseline.toml`` (1,000
   sessions to convergence) on the local backend — wall time, Δ, convergence, peak memory.

Usage::

    python bench/bench_calvano.py                 # (1) and (2), about a minute
    python bench/bench_calvano.py --full          # and the 1,000-session replication
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.pricing import PricingModel  # noqa: E402
from socialrl import simulate  # noqa: E402
from socialrl.learners import QLearning  # noqa: E402

ALPHA, DELTA, BETA, WINDOW = 0.15, 0.95, 4e-6, 100_000


def lab_path(markets: int, periods: int, seed: int = 0) -> tuple[float, float]:
    """Seconds for ``periods`` periods of ``markets`` Calvano sessions; also the compile run."""
    learner = {
        "firm": QLearning(
            alpha=ALPHA, gamma=DELTA, epsilon={"kind": "exponential", "beta": BETA}, init="model"
        )
    }
    simulate(PricingModel, {"n_markets": 2}, learner, steps=100, seed=seed)  # load kernels
    started = time.perf_counter()
    out = simulate(
        PricingModel,
        {"n_markets": markets},
        learner,
        steps=periods,
        seed=seed,
        record_every=10_000,
        stop_when_stable=WINDOW,
    )
    seconds = time.perf_counter() - started
    assert out.meta["steps"] == periods
    return seconds, out.meta["seconds"]


def python_loop(periods: int, seed: int = 0) -> float:
    """Seconds for ``periods`` periods of one session, written as a plain per-period loop."""
    model = PricingModel(rng=seed)  # the same market, grid and Q₀
    m, grid, market = model.n_prices, model.grid, model.market
    q = np.repeat(model.initial_values("firm", DELTA)[:2], m * m, axis=1)  # [2, S, A]
    rng = np.random.default_rng(seed)
    prices = rng.integers(m, size=2)
    stable = np.zeros(2, dtype=np.int64)
    started = time.perf_counter()
    for t in range(periods):
        state = [prices[0] + m * prices[1], prices[1] + m * prices[0]]
        eps = math.exp(-BETA * t)
        actions = np.array(
            [
                rng.integers(m) if rng.random() < eps else int(np.argmax(q[i, state[i]]))
                for i in range(2)
            ]
        )
        profits = market.profits(grid[[0, 1], actions])
        nxt = [actions[0] + m * actions[1], actions[1] + m * actions[0]]
        for i in range(2):
            before = int(np.argmax(q[i, state[i]]))
            target = profits[i] + DELTA * q[i, nxt[i]].max()
            q[i, state[i], actions[i]] = (1 - ALPHA) * q[i, state[i], actions[i]] + ALPHA * target
            stable[i] = stable[i] + 1 if int(np.argmax(q[i, state[i]])) == before else 0
        prices = actions
        if stable.min() >= WINDOW:
            break
    return time.perf_counter() - started


def full_study(workers: int | None) -> None:
    """The 1,000-session baseline to convergence, as ``socialrl run`` runs it."""
    from socialrl.study import load_results, run_study

    out = Path(tempfile.mkdtemp(prefix="bench_calvano_"))
    try:
        study = ROOT / "studies" / "calvano2020_baseline.toml"
        started = time.perf_counter()
        report = run_study(study, out=out, backend="local", workers=workers)
        wall = time.perf_counter() - started
        results = load_results(report.path)
        markets = (
            results.table("markets")
            .groupby(["run_id", "market"])
            .agg(
                delta=("delta", "mean"),
                converged=("converged", "first"),
                converged_at=("converged_at", "first"),
            )
        )
        periods = markets["converged_at"].where(markets["converged"]) - WINDOW
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest worker
        print(f"\n(3) baseline study, {len(markets)} sessions, local backend:")
        print(f"    wall time            {wall:8.1f} s   (target ≤ 180 s)")
        delta = markets["delta"]
        print(f"    Δ                    {delta.mean():8.3f}   s.d. {delta.std():.3f}")
        print(f"    converged            {markets['converged'].mean():8.1%}")
        print(f"    periods to converge  {periods.mean():8.3g}   (mean, without the final 100,000)")
        print(f"    peak memory          {peak:8.0f} MB (largest worker's resident set)")
        session_periods = float(markets["converged_at"].clip(lower=0).sum())
        per = wall / session_periods * 1e9
        print(f"    session-periods      {session_periods:8.3g}  → {per:.1f} ns wall each")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=1000)
    parser.add_argument("--periods", type=int, default=20_000)
    parser.add_argument("--python-periods", type=int, default=20_000)
    parser.add_argument("--full", action="store_true", help="also run the 1,000-session study")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--threads", type=int, default=1, help="Numba threads for (1) (study workers use 1)"
    )
    args = parser.parse_args()
    import numba

    numba.set_num_threads(args.threads)

    seconds, _ = lab_path(args.markets, args.periods)
    lab_ns = seconds / (args.markets * args.periods) * 1e9
    py_seconds = python_loop(args.python_periods)
    py_ns = py_seconds / args.python_periods * 1e9
    print(
        f"(1) lab path: {args.markets} markets × {args.periods:,} periods in {seconds:.2f} s "
        f"({args.threads} thread{'s' if args.threads > 1 else ''})"
    )
    print(f"    {lab_ns:10.1f} ns per session-period")
    print(f"(2) per-session Python loop: {args.python_periods:,} periods in {py_seconds:.2f} s")
    print(f"    {py_ns:10.1f} ns per session-period")
    print(f"    ratio {py_ns / lab_ns:.0f}× (target ≥ 100×)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    peak memory of this process {peak:.0f} MB")
    if args.full:
        full_study(args.workers)


if __name__ == "__main__":
    main()
