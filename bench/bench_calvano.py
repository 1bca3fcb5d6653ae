"""How fast does the lab replicate Calvano et al. (2020)?

Three measurements in one run (this machine is shared and noisy: compare within a run):

1. **The lab's path** — ``simulate`` with the pricing model and a Q-learning population
   (the compiled sessions): ``--markets`` markets for the first ``--periods`` periods (the
   most expensive phase: ε ≈ 1), and ``--run-markets`` markets for a whole run to
   convergence; nanoseconds per session-period.
2. **A straightforward per-session Python loop** of the same algorithm (NumPy per period, one
   session at a time, as a researcher would first write it), ``--python-periods`` periods
   from the start and from period 1.5 million: nanoseconds per session-period, and the ratios
   to (1).
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

from socialrl_models.pricing import PricingModel  # noqa: E402

from socialrl import simulate  # noqa: E402
from socialrl.learners import QLearning  # noqa: E402

ALPHA, DELTA, BETA, WINDOW = 0.15, 0.95, 4e-6, 100_000


def calvano_population() -> dict[str, QLearning]:
    """The paper's Q-learners: α 0.15, δ 0.95, ε_t = exp(−βt), Q₀ from the model."""
    return {
        "firm": QLearning(
            alpha=ALPHA, gamma=DELTA, epsilon={"kind": "exponential", "beta": BETA}, init="model"
        )
    }


def lab_path(markets: int, periods: int, seed: int = 0) -> tuple[float, float]:
    """Seconds for ``periods`` periods of ``markets`` Calvano sessions; also the compile run."""
    learner = calvano_population()
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


def compiled_loop() -> str:
    """The module of the compiled loop that plays these markets (the runner picks it)."""
    from socialrl.population import Population
    from socialrl.run.repeated_game import compiled_sessions

    model, population = PricingModel(n_markets=2, rng=0), Population(calvano_population())
    population.bind(model, np.random.SeedSequence(0))
    runner = compiled_sessions(model, population)
    return "none (step loop)" if runner is None else runner.kernel.serial.py_func.__module__


def lab_run_to_convergence(markets: int, seed: int = 1) -> tuple[float, float]:
    """Seconds of a whole run of ``markets`` sessions to convergence, and its session-periods."""
    learner = calvano_population()
    started = time.perf_counter()
    out = simulate(
        PricingModel,
        {"n_markets": markets},
        learner,
        steps=1_000_000_000,
        seed=seed,
        record_every=100_000,
        stop_when_stable=WINDOW,
    )
    seconds = time.perf_counter() - started
    ended = out.extra["markets"].groupby("market")["converged_at"].first()
    return seconds, float(ended.where(ended >= 0, out.meta["steps"]).sum())


def python_loop(periods: int, t0: int = 0, seed: int = 0) -> float:
    """Seconds for ``periods`` periods of one session, written as a plain per-period loop.

    ``t0`` is the period it starts at (ε = exp(−β t0)): 0 while firms explore, later when they
    mostly exploit.
    """
    model = PricingModel(rng=seed)  # the same market, grid and Q₀
    m, grid, market = model.n_prices, model.grid, model.market
    q = np.repeat(model.initial_values("firm", DELTA)[:2], m * m, axis=1)  # [2, S, A]
    rng = np.random.default_rng(seed)
    prices = rng.integers(m, size=2)
    stable = np.zeros(2, dtype=np.int64)
    started = time.perf_counter()
    for t in range(t0, t0 + periods):
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
    parser.add_argument("--run-markets", type=int, default=100, help="markets of the whole run")
    parser.add_argument("--full", action="store_true", help="also run the 1,000-session study")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--threads", type=int, default=1, help="Numba threads for (1) (study workers use 1)"
    )
    args = parser.parse_args()
    import numba

    numba.set_num_threads(args.threads)

    seconds, _ = lab_path(args.markets, args.periods)
    lab_early = seconds / (args.markets * args.periods) * 1e9
    run_seconds, session_periods = lab_run_to_convergence(args.run_markets)
    lab_run = run_seconds / session_periods * 1e9
    py_early = python_loop(args.python_periods) / args.python_periods * 1e9
    py_late = python_loop(args.python_periods, t0=1_500_000) / args.python_periods * 1e9
    py_mean = (py_early + py_late) / 2
    threads = f"{args.threads} thread{'s' if args.threads > 1 else ''}"
    print(f"(1) the lab's path ({threads}), ns per session-period:")
    print(f"    {lab_early:10.1f}  {args.markets} markets, first {args.periods:,} periods (ε ≈ 1)")
    print(
        f"    {lab_run:10.1f}  {args.run_markets} markets, a whole run to convergence "
        f"({session_periods:.3g} session-periods in {run_seconds:.1f} s)"
    )
    print(f"    compiled loop: {compiled_loop()}")
    print("(2) a straightforward per-session Python loop, ns per session-period:")
    print(f"    {py_early:10.1f}  {args.python_periods:,} periods from t = 0 (ε ≈ 1)")
    print(f"    {py_late:10.1f}  {args.python_periods:,} periods from t = 1.5M (ε ≈ 0.0025)")
    print(f"    ratio, first periods: {py_early / lab_early:.0f}×")
    print(f"    ratio, whole run (Python: mean of both phases): {py_mean / lab_run:.0f}×")
    print("    (target ≥ 100×)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    peak memory of this process {peak:.0f} MB")
    if args.full:
        full_study(args.workers)


if __name__ == "__main__":
    main()
