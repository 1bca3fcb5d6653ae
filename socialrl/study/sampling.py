"""Sampled designs: points drawn over declared ranges instead of a full factorial grid.

A grid of 10 values for each of 5 parameters is 100,000 points; the question "which of the 5
matter, and where does the result hold?" needs far fewer, well spread ones. A study's
``[sweep.sample]`` names a method, a size and the ranges::

    [sweep.sample]
    method = "sobol"            # saltelli's scheme, for Sobol indices
    n = 512                     # base size N: N (D + 2) points (N (2D + 2) with second_order)
    [sweep.sample.ranges]
    "population.firm.alpha" = { low = 0.025, high = 0.25 }
    "model.mu" = { low = 0.05, high = 1.0, scale = "log" }
    "model.m" = { low = 5, high = 20, kind = "integer" }
    "model.layout" = { values = ["dyna", "lecture"] }

Methods: ``lhs`` (Latin hypercube), ``halton`` and ``sobol_sequence`` (quasi-random, scrambled),
``random`` (uniform) — all from :mod:`scipy.stats.qmc` or NumPy, ``n`` points; ``sobol``
(Saltelli's cross-sampling, SALib) and ``morris`` (``n`` trajectories of ``D + 1`` points on
``levels`` levels, SALib). Every method draws in the unit hypercube, seeded from the study's
seed (or ``seed``); :func:`to_values` then maps each coordinate onto its range (linear, log,
integer, or one of ``values``), so every method treats ranges alike. A sample crosses with the
rest of the sweep (a sampled market × a grid of learners).

Nothing of the sample is stored but the spec: :func:`unit_sample` draws the same matrix again
from it (the same seed, the same library), which is what the sensitivity analysis reads
(:mod:`socialrl.study.sensitivity`). Sample rows may repeat (integer and categorical ranges),
so each run's content, and so its id, includes its row.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from socialrl.study.spec import RangeSpec, SampleSpec

__all__ = ["METHODS", "sample_points", "sample_size", "to_values", "unit_sample"]

METHODS = ("lhs", "sobol", "morris", "halton", "sobol_sequence", "random")


def sample_size(sample: SampleSpec) -> int:
    """Points the design draws: ``n``, ``N (D + 2)`` for Sobol, ``n (D + 1)`` for Morris."""
    d = len(sample.ranges)
    if sample.method == "sobol":
        return sample.n * (2 * d + 2 if sample.second_order else d + 2)
    if sample.method == "morris":
        return sample.n * (d + 1)
    return sample.n


def unit_sample(sample: SampleSpec, study_seed: int) -> np.ndarray:
    """The design in the unit hypercube, ``float64[points, D]``, columns in ``ranges`` order."""
    d = len(sample.ranges)
    seed = _seed(sample, study_seed)
    if sample.method in ("sobol", "morris"):
        problem = {"num_vars": d, "names": list(sample.ranges), "bounds": [[0.0, 1.0]] * d}
        if sample.method == "sobol":
            from SALib.sample import sobol as saltelli

            return np.asarray(
                saltelli.sample(
                    problem, sample.n, calc_second_order=sample.second_order, seed=seed
                ),
                dtype=np.float64,
            )
        from SALib.sample import morris

        return np.asarray(
            morris.sample(problem, sample.n, num_levels=sample.levels, seed=seed),
            dtype=np.float64,
        )
    if sample.method == "random":
        return np.random.default_rng(seed).random((sample.n, d))
    from scipy.stats import qmc

    engine: qmc.QMCEngine
    if sample.method == "lhs":
        engine = qmc.LatinHypercube(d, rng=np.random.default_rng(seed))
    elif sample.method == "halton":
        engine = qmc.Halton(d, rng=np.random.default_rng(seed))
    else:
        engine = qmc.Sobol(d, rng=np.random.default_rng(seed))
    return np.asarray(engine.random(sample.n), dtype=np.float64)


def to_values(unit: np.ndarray, ranges: dict[str, RangeSpec]) -> list[dict[str, Any]]:
    """Each row of a unit sample as ``{sweep key: value}`` on the declared ranges."""
    columns = [_column(unit[:, k], spec) for k, spec in enumerate(ranges.values())]
    keys = list(ranges)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def sample_points(sample: SampleSpec, study_seed: int) -> list[dict[str, Any]]:
    """The design's points, ``{sweep key: value}`` each, in the sample's row order."""
    return to_values(unit_sample(sample, study_seed), sample.ranges)


def _column(u: np.ndarray, spec: RangeSpec) -> list[Any]:
    """One coordinate of the unit sample on its range (plain Python values, for JSON)."""
    if spec.values is not None:
        k = len(spec.values)
        return [spec.values[min(int(x * k), k - 1)] for x in u]
    low, high = float(spec.low), float(spec.high)  # type: ignore[arg-type]
    if spec.kind == "integer":
        span = int(high) - int(low) + 1
        return [int(low) + min(int(x * span), span - 1) for x in u]
    if spec.scale == "log":
        values = np.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    else:
        values = low + u * (high - low)
    return [float(v) for v in values]


def _seed(sample: SampleSpec, study_seed: int) -> int:
    """The design's seed: its own, or one drawn from the study's (not the replications')."""
    if sample.seed is not None:
        return int(sample.seed)
    return int(np.random.SeedSequence([study_seed, 0x5A3E]).generate_state(1)[0])
