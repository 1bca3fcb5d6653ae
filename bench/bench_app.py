"""Benchmark: load and first draw of a 1,000,000-row ``steps`` table in the app.

What is measured
    A study of 100 runs (2 × 2 swept settings × 25 seeds) whose ``steps`` tables hold 10,000
    rows each — 1,000,000 rows — is built once in a temporary folder (a real maze study, whose
    ``steps`` files are then replaced by long synthetic ones). Then, from cold caches:

    * **app**: what the Explore page does before the browser draws — load the table through
      the app's loader (:func:`socialrl.app.data.read_table`: one PyArrow read per run, keys
      as categoricals), compute the mean curves with 95% bands per swept setting
      (downsampled to 400 points per curve, statistics from every row), the per-run final
      values and the every-row histogram, build the Plotly figures and serialise them to the
      JSON that Streamlit sends to the browser;
    * **baseline**: the obvious way — ``pd.read_parquet`` per run and ``pd.concat``, then one
      line per run with every point (``plotly.express.line``), serialised the same way (the
      browser then still has to draw a million points: the JSON size says how much it gets);
    * for reference, ``StudyResults.table("steps")`` alone (the same loader, text keys kept
      as text) and, with ``--page``, the whole Explore page run headless by Streamlit's
      AppTest (cold cache).

    Each measurement is the best of ``--repeat`` runs (shared machines are noisy).

Why
    The issue's target: a 1,000,000-row ``steps`` table loads and draws in ≤ 2 s. The
    baseline shows what the downsampling and the loader buy. The script is a report, not a
    test: it always exits with status 0.

Usage
    ``python bench/bench_app.py`` (about a minute), ``--rows 100000`` for a quick run,
    ``--page`` to add the AppTest measurement.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.express as px  # noqa: E402
import plotly.io as pio  # noqa: E402

from socialrl.app import charts, stats  # noqa: E402
from socialrl.app.data import read_table  # noqa: E402
from socialrl.statistics import per_run_values  # noqa: E402
from socialrl.study import load_results, parse_study, run_study  # noqa: E402

RUNS = 100
TARGET_S = 2.0
METRIC = "mean_distance_to_goal"
COLOUR = "population.walker.epsilon"


def build_study(root: Path, rows: int) -> Path:
    """100 real maze runs, then each run's steps table replaced by ``rows / 100`` rows."""
    spec = parse_study(
        {
            "name": "big",
            "seed": 1,
            "replications": RUNS // 4,
            "model": {"name": "maze", "params": {"layout": "dyna", "n_walkers": 2}},
            "population": [{"role": "walker", "learner": "q_learning"}],
            "sweep": {
                "grid": {
                    "population.walker.epsilon": [0.1, 0.3],
                    "population.walker.alpha": [0.1, 0.5],
                }
            },
            "run": {"steps": 20, "record_every": 10},
        }
    )
    study = run_study(spec, out=root, backend="sequential").path
    per_run = rows // RUNS
    rng = np.random.default_rng(0)
    step = np.arange(1, per_run + 1, dtype=np.int64)
    for k, run in enumerate(sorted((study / "runs").iterdir())):
        decay = np.exp(-step / (per_run / 4))
        frame = pd.DataFrame(
            {
                "step": step,
                METRIC: 14 * decay + 7 + rng.normal(0, 0.5, per_run) + k % 4,
                "walkers_active": np.full(per_run, 2.0),
                "walker_reward_mean": -1 + rng.normal(0, 0.05, per_run),
                "walker_episodes": np.cumsum(rng.integers(0, 2, per_run)),
                "walker_epsilon": np.full(per_run, 0.1),
                "walker_td_error": decay + rng.random(per_run) * 0.1,
            }
        )
        frame.to_parquet(run / "steps.parquet", index=False)
    return study


def app_path(study: Path) -> tuple[float, float, int, int]:
    """Seconds to load, to compute and serialise every figure; points drawn; JSON bytes."""
    started = time.perf_counter()
    frame = read_table(study, "steps").frame
    loaded = time.perf_counter()
    curves = stats.learning_curves(frame, "step", METRIC, [COLOUR])
    finals = per_run_values(frame, METRIC, [COLOUR], "last", "step")
    hist = stats.histogram(frame[METRIC])
    figures = [
        charts.curves_figure(curves, COLOUR, None),
        charts.distribution_figure(finals, METRIC, COLOUR, "last value per run"),
        charts.histogram_figure(hist, METRIC, "every row"),
    ]
    payload = [pio.to_json(f, validate=False) for f in figures]
    drawn = time.perf_counter()
    return loaded - started, drawn - loaded, len(curves.frame), sum(map(len, payload))


def baseline_path(study: Path) -> tuple[float, float, int, int]:
    """The obvious way: read every file with pandas, then draw every point."""
    started = time.perf_counter()
    results = load_results(study)
    runs = results.runs
    parts = []
    for run_id, colour in zip(runs["run_id"], runs[COLOUR], strict=True):
        part = pd.read_parquet(results.store.runs_dir / run_id / "steps.parquet")
        parts.append(part.assign(run_id=run_id, **{COLOUR: colour}))
    frame = pd.concat(parts, ignore_index=True)
    loaded = time.perf_counter()
    figure = px.line(frame, x="step", y=METRIC, color=COLOUR, line_group="run_id")
    payload = pio.to_json(figure, validate=False)
    drawn = time.perf_counter()
    return loaded - started, drawn - loaded, len(frame), len(payload)


def engine_load(study: Path) -> float:
    started = time.perf_counter()
    load_results(study).table("steps")
    return time.perf_counter() - started


def page_path(root: Path) -> float:
    """The Explore page run headless by AppTest, cold cache: seconds to its first full draw."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["SOCIALRL_RESULTS"] = str(root)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    st.cache_data.clear()
    at.switch_page("socialrl/app/pages/explore.py")
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    assert not at.exception, [e.value for e in at.exception]
    return elapsed


def best(fn, repeat: int):  # type: ignore[no-untyped-def]
    results = [fn() for _ in range(repeat)]
    return min(results, key=lambda r: r[0] + r[1] if isinstance(r, tuple) else r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the steps table")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument("--page", action="store_true", help="also time the page under AppTest")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        study = build_study(root, args.rows)
        built = time.perf_counter() - started
        print(f"built a study of {RUNS} runs, {args.rows:,} steps rows, in {built:.1f} s")
        app_load, app_draw, points, app_bytes = best(lambda: app_path(study), args.repeat)
        base_load, base_draw, base_points, base_bytes = best(
            lambda: baseline_path(study), args.repeat
        )
        engine = best(lambda: engine_load(study), args.repeat)
        app_total, base_total = app_load + app_draw, base_load + base_draw
        print()
        print(
            "| path | load (s) | first draw (s) | load + draw (s) | points sent to the browser "
            "| JSON sent | ratio (load + draw) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(
            f"| app: fast loader, curves downsampled to {stats.MAX_POINTS} points per curve | "
            f"{app_load:.2f} | {app_draw:.2f} | **{app_total:.2f}** (target ≤ {TARGET_S:.0f}) | "
            f"{points:,} | {app_bytes / 1e3:,.0f} kB | **{base_total / app_total:.1f}×** |"
        )
        print(
            f"| baseline: pd.read_parquet per run + every point drawn | {base_load:.2f} | "
            f"{base_draw:.2f} | {base_total:.2f} | {base_points:,} | {base_bytes / 1e6:,.1f} MB "
            "| 1.0× |"
        )
        print(f"| reference: StudyResults.table('steps') alone | {engine:.2f} | | | | |")
        if args.page:
            page = best(lambda: page_path(root), args.repeat)
            print(
                f"| Explore page under AppTest, cold cache (load, 3 charts) | | | {page:.2f} | | |"
            )
        verdict = "meets" if app_total <= TARGET_S else "MISSES"
        print(f"\napp load + first draw {app_total:.2f} s {verdict} the ≤ {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
