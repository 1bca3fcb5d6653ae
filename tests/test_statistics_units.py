"""Statistics over the unit of analysis, with n shown and intervals inside the bounds.

Known answers on hand-made tables: 2 runs of 50 markets are 100 observations, not 2; an
interval of a length never reaches below 0, and clipping keeps its coverage; declared and
common bounds; a real pricing study summarised over its markets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from socialrl.statistics import COMMON_BOUNDS, bounds_of, interval, summarize
from socialrl.study import load_results, run_study
from tests.study_helpers import pricing_study, write_toml


def _markets(runs: int = 2, markets: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "run_id": np.repeat([f"r{k}" for k in range(runs)], markets * 2),
            "market": np.tile(np.repeat(np.arange(markets), 2), runs),
            "firm": np.tile([0, 1], runs * markets),
            "delta": rng.normal(0.85, 0.1, runs * markets * 2),
        }
    )


def test_markets_are_the_unit_not_runs() -> None:
    frame = _markets()
    over_runs = summarize(frame, "delta", [])
    over_markets = summarize(frame, "delta", [], unit="market")
    assert over_runs["n"].item() == 2 and over_markets["n"].item() == 100
    # the same mean (every market weighs the same either way), a far narrower interval
    assert over_markets["mean"].item() == pytest.approx(over_runs["mean"].item())
    width = over_markets["ci95_high"] - over_markets["ci95_low"]
    assert (width < (over_runs["ci95_high"] - over_runs["ci95_low"]) / 5).all()
    # by hand: one value per (run, market), the mean over its firms; Student t over 100
    per_market = frame.groupby(["run_id", "market"])["delta"].mean().to_numpy()
    half = scipy_stats.t.ppf(0.975, 99) * per_market.std(ddof=1) / np.sqrt(100)
    assert over_markets["ci95_low"].item() == pytest.approx(per_market.mean() - half)


def test_an_interval_of_a_nonnegative_quantity_is_clipped_at_zero() -> None:
    lengths = pd.DataFrame({"run_id": ["a", "b", "c"], "length": [0.0, 0.0, 9.0]})
    unclipped = summarize(lengths, "length", [], bounds=(None, None))
    clipped = summarize(lengths, "length", [])  # "length" is bounded below by 0
    assert unclipped["ci95_low"].item() < 0
    assert clipped["ci95_low"].item() == 0.0
    assert clipped["ci95_high"].item() == unclipped["ci95_high"].item()


def test_clipping_keeps_the_coverage_of_the_interval() -> None:
    """A mean that lies within the bounds is in the clipped interval iff in the t interval."""
    rng = np.random.default_rng(7)
    samples = rng.exponential(0.2, size=(4000, 4))  # skewed, small n: t reaches below 0
    mean, sd, n = samples.mean(1), samples.std(1, ddof=1), np.full(4000, 4)
    low, high = interval(mean, sd, n)
    clo, chi = interval(mean, sd, n, (0, None))
    truth = 0.2
    assert (low < 0).mean() > 0.05  # the unclipped bands do leave the range
    assert (clo >= 0).all()
    np.testing.assert_array_equal((low <= truth) & (truth <= high), (clo <= truth) & (truth <= chi))


def test_bounds_come_from_the_plugin_then_the_engine_then_the_dtype() -> None:
    assert bounds_of("length") == (0, None)
    assert bounds_of("share_stag") == (0, 1) and bounds_of("learned_share") == (0, 1)
    assert bounds_of("walker_epsilon") == (0, 1)
    assert bounds_of("delta") == (None, None)  # a profit gain can be negative
    assert bounds_of("delta", {"delta": (-1, 2)}) == (-1, 2)
    assert bounds_of("length", {"length": (1, None)}) == (1, None)  # the plugin first
    assert bounds_of("playing", values=np.array([True, False])) == (0, 1)
    assert all(low is None or high is None or low <= high for low, high in COMMON_BOUNDS.values())


def test_a_pricing_study_is_summarised_over_its_markets(tmp_path: Path) -> None:
    study = write_toml(tmp_path / "markets.toml", pricing_study("markets", n_markets=6, seed=5))
    run_study(study, out=tmp_path / "out", backend="sequential")
    results = load_results(tmp_path / "out" / "markets")
    assert results.unit_of("markets") == "market" and results.unit_of("steps") is None
    summary = results.summary("markets", "delta", by=[])
    assert summary["n"].item() == 12  # 6 markets × 2 runs, not 2 runs
    by_run = results.summary("markets", "delta", by=["run_id"])
    assert (by_run["n"] == 1).all()


def test_a_study_declares_its_own_unit(tmp_path: Path) -> None:
    study = write_toml(
        tmp_path / "walkers.toml",
        {
            "name": "walkers",
            "seed": 2,
            "replications": 2,
            "units": {"episodes": "agent"},
            "model": {"name": "maze", "params": {"layout": "S..\n..G", "n_walkers": 3}},
            "population": [
                {"role": "walker", "learner": "q_learning", "params": {"shared": False}}
            ],
            "run": {"steps": 200},
        },
    )
    run_study(study, out=tmp_path / "out", backend="sequential")
    results = load_results(tmp_path / "out" / "walkers")
    assert results.unit_of("episodes") == "agent"
    assert results.summary("episodes", "length", by=[])["n"].item() == 6  # 3 walkers × 2 runs
