"""Which parameters matter: sensitivity indices of an outcome over a sampled design.

A study sampled over ranges (``[sweep.sample]``, :mod:`socialrl.study.sampling`) is read back
as one outcome value per sample row — each run's value of a column (its last, mean, …),
averaged over the row's replications — and handed to SALib with the design's unit sample:

* ``sobol`` (a Saltelli design): first-order ``S1`` (the share of the outcome's variance due
  to the parameter alone) and total-order ``ST`` (alone and in interaction) with bootstrap
  intervals;
* ``morris`` (a Morris design): ``mu_star`` (mean absolute elementary effect: how much the
  outcome moves across the parameter's whole range) with its bootstrap interval, ``mu`` and
  ``sigma`` (non-linearity and interactions);
* ``delta`` (any sampled design, model-free): Borgonovo's moment-independent δ and a
  first-order ``S1`` estimated from the same points, with bootstrap intervals.

The intervals are SALib's bootstrap intervals at 95% (``conf`` is the half-width), seeded from
the design, so the same study gives the same table. A sample crossed with a grid gives one set
of indices per grid point. Inputs are in the unit hypercube (each parameter's whole range is
1), so Morris's effects compare across parameters of different units.
"""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socialrl.study.sampling import unit_sample

if TYPE_CHECKING:
    from socialrl.study.results import StudyResults

__all__ = ["METHODS", "SensitivityError", "sensitivity"]

METHODS = ("sobol", "morris", "delta")
#: Bootstrap resamples behind each interval.
RESAMPLES = 1000


class SensitivityError(ValueError):
    """A sensitivity analysis the study cannot support; the message says why and what would."""


def sensitivity(
    results: StudyResults,
    outcome: str,
    method: str | None = None,
    table: str = "steps",
    per_run: str | None = None,
) -> pd.DataFrame:
    """Sensitivity indices of ``outcome`` for every sampled parameter (one row each).

    Args:
        results: A study with a sampled design.
        outcome: A column of ``table`` (e.g. ``"delta"`` of ``markets``).
        method: ``"sobol"``, ``"morris"`` or ``"delta"``; default: the design's own
            (``sobol`` for a Sobol design, ``morris`` for a Morris one, else ``delta``).
        table: The table the outcome is in.
        per_run: How each unit's rows become its value (``"last"``: at the largest step);
            default: ``"last"`` for a table over time, else ``"mean"``
            (:meth:`StudyResults.unit_values`).

    Returns:
        ``[grid keys], parameter, <indices>, <index>_conf, n`` (``n``: sample rows).

    Raises:
        SensitivityError: no sampled design, a method the design cannot support, an outcome
            the table does not have, or sample rows without a finished run.

    """
    sample = results.spec.sweep.sample
    if sample is None:
        raise SensitivityError(
            f"{results.path}: sensitivity needs a sampled design ([sweep.sample] with method "
            "sobol, morris, lhs, …); this study sweeps a grid, zip or points"
        )
    method = method or {"sobol": "sobol", "morris": "morris"}.get(sample.method, "delta")
    if method not in METHODS:
        raise SensitivityError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method in ("sobol", "morris") and sample.method != method:
        raise SensitivityError(
            f"{results.path}: {method} indices need a {method} design; this study's sample is "
            f"{sample.method!r} (method 'delta' works with any sampled design)"
        )
    rows = _outcome_per_row(results, outcome, table, per_run)
    unit = unit_sample(sample, results.spec.seed)
    names = list(sample.ranges)
    grid = [k for k in results.swept if k not in sample.ranges]
    parts = []
    for key, part in rows.groupby(grid, dropna=False, sort=False) if grid else [((), rows)]:
        y = part.set_index("sample")[outcome].reindex(range(len(unit)))
        missing = int(y.isna().sum())
        if missing:
            raise SensitivityError(
                f"{results.path}: {missing} of {len(unit)} sample rows have no finished run with "
                f"{outcome!r}: run the study to the end (socialrl run resumes it)"
            )
        table_ = _indices(method, names, unit, y.to_numpy(np.float64), sample)
        values: tuple[Any, ...] = key if isinstance(key, tuple) else (key,)
        for column, value in zip(grid, values, strict=True):
            table_.insert(0, column, value)
        parts.append(table_)
    return pd.concat(parts, ignore_index=True)


def _outcome_per_row(
    results: StudyResults, outcome: str, table: str, per_run: str | None
) -> pd.DataFrame:
    """``sample, [grid keys], outcome``: the mean over each row's units and replications."""
    try:
        values = results.unit_values(table, outcome, per_run)
    except KeyError as err:
        raise SensitivityError(f"{results.path}: {err.args[0]}") from None
    runs = results.runs[["run_id", "sample", *results.swept]]
    runs = runs.assign(run_id=runs["run_id"].astype(str))
    merged = values.merge(runs, on="run_id")
    sample = results.spec.sweep.sample
    grid = [k for k in results.swept if sample is None or k not in sample.ranges]
    return merged.groupby(["sample", *grid], dropna=False)[outcome].mean().reset_index()


def _indices(
    method: str, names: list[str], unit: np.ndarray, y: np.ndarray, sample: Any
) -> pd.DataFrame:
    """SALib's indices of one set of outcomes, as one row per parameter."""
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    seed = 0 if sample.seed is None else int(sample.seed)
    if method == "sobol":
        from SALib.analyze import sobol

        found = sobol.analyze(
            problem,
            y,
            calc_second_order=sample.second_order,
            num_resamples=RESAMPLES,
            seed=seed,
        )
        out = {k: found[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}
    elif method == "morris":
        from SALib.analyze import morris

        found = morris.analyze(
            problem, unit, y, num_resamples=RESAMPLES, num_levels=sample.levels, seed=seed
        )
        out = {k: found[k] for k in ("mu_star", "mu_star_conf", "mu", "sigma")}
    else:
        from SALib.analyze import delta

        with contextlib.redirect_stdout(io.StringIO()):  # SALib prints its binning notices
            found = delta.analyze(problem, unit, y, num_resamples=RESAMPLES, seed=seed)
        key = "delta" if "delta" in found else "delta_raw"  # SALib ≥ 1.5 names the variants
        out = {
            "delta": found[key],
            "delta_conf": found[f"{key}_conf"],
            "S1": found["S1"],
            "S1_conf": found["S1_conf"],
        }
    frame = pd.DataFrame({"parameter": names, **{k: np.asarray(v, float) for k, v in out.items()}})
    frame["n"] = len(y)
    return frame
