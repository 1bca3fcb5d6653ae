"""Scenario discovery: the regions of the parameter space where an outcome crosses a line.

"For which α and β do the firms collude (Δ > 0.8)?" PRIM — the Patient Rule Induction Method
(Friedman & Fisher 1999), the scenario-discovery workhorse of exploratory modelling (Bryant &
Lempert 2010) — answers with boxes: limits on a few parameters inside which most design
points are cases of interest. Each box is judged by two numbers:

* **coverage** — the share of all cases that lie in the box (how much of the phenomenon it
  explains);
* **density** — the share of the box's points that are cases (how pure it is).

PRIM peels the space a sliver at a time (``peel_alpha`` of the points), always the sliver
that raises the density most, until the box holds less than ``mass_min`` of the points; the
path it takes trades coverage for density. The box reported is the one on that path with the
most coverage among those at least ``density`` dense (else the densest), as an analyst would
choose from the trade-off plot.

The algorithm is the EMA Workbench's (``ema_workbench.analysis.prim``, Kwakkel 2017), fed one
point per design point: the swept parameters and the outcome reduced per unit of analysis,
then averaged over the point's units and replications (so a point with more seeds does not
count more). Any design works — a grid, a sample — as long as the parameters vary.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from socialrl.study.results import StudyResults

__all__ = ["ScenarioError", "Scenarios", "scenario_discovery"]


class ScenarioError(ValueError):
    """A scenario discovery the study cannot support; the message says why and what would."""


@dataclass(frozen=True)
class Scenarios:
    """What PRIM found, as tidy tables.

    Attributes:
        boxes: One row per box: ``box, coverage, density, mass, points, cases, restricted``
            (``points`` in the box, ``cases`` among them; ``restricted``: how many parameters
            it limits).
        limits: One row per box × parameter: ``box, parameter, low, high, restricted``
            (categorical parameters: ``values`` lists the categories kept).
        trajectory: The peeling path of each box: ``box, step, coverage, density, mass,
            restricted`` — the trade-off the chosen box was picked from.
        points: The design points PRIM saw: the parameters, ``outcome`` and ``case``.
        rule: The case definition, e.g. ``"delta > 0.8"``.

    """

    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectory: pd.DataFrame
    points: pd.DataFrame
    rule: str


def scenario_discovery(
    results: StudyResults,
    outcome: str,
    *,
    above: float | None = None,
    below: float | None = None,
    table: str = "steps",
    per_run: str | None = None,
    density: float = 0.8,
    boxes: int = 1,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Scenarios:
    """PRIM boxes of the design points where ``outcome`` is above (or below) a value.

    Args:
        results: A finished study that varies at least one parameter.
        outcome: A column of ``table``.
        above: The case of interest is a mean outcome above this value (or give ``below``).
        below: The case of interest is a mean outcome below this value.
        table: The table the outcome is in.
        per_run: How each unit's rows become its value (``"last"``: at the largest step);
            default: ``"last"`` for a table over time, else ``"mean"``.
        density: The box chosen from each peeling path: the most coverage at this density.
        boxes: How many boxes to look for (each next one among the points not yet covered).
        peel_alpha: Share of the points peeled per step.
        mass_min: The smallest share of points a box may hold.

    Raises:
        ScenarioError: no varied parameter, a missing outcome, no case or only cases, or
            both (or neither of) ``above`` and ``below``.

    """
    if (above is None) == (below is None):
        raise ScenarioError("give the case of interest as above=… or below=… (one of them)")
    points = design_points(results, outcome, table, per_run)
    cases = points[outcome] > above if above is not None else points[outcome] < below
    rule = f"{outcome} > {above:g}" if above is not None else f"{outcome} < {below:g}"
    if cases.all() or not cases.any():
        share = "every" if cases.all() else "no"
        raise ScenarioError(
            f"{results.path}: {share} design point has {rule} (of {len(points)}): nothing to "
            "tell apart; choose another value"
        )
    x = points.drop(columns=[outcome])
    found = _prim(x, cases.to_numpy(), density, boxes, peel_alpha, mass_min)
    return Scenarios(*found, points=points.assign(case=cases.to_numpy()), rule=rule)


def design_points(
    results: StudyResults, outcome: str, table: str, per_run: str | None = None
) -> pd.DataFrame:
    """The varied parameters of each design point and its mean ``outcome`` (one row each)."""
    try:
        values = results.unit_values(table, outcome, per_run)
    except KeyError as err:
        raise ScenarioError(f"{results.path}: {err.args[0]}") from None
    runs = results.runs.assign(run_id=results.runs["run_id"].astype(str))
    params = [c for c in results.swept if runs[c].nunique(dropna=False) > 1]
    if not params:
        raise ScenarioError(
            f"{results.path}: scenario discovery needs a design that varies parameters; "
            "this study has one point"
        )
    merged = values.merge(runs[["run_id", "point", *params]], on="run_id")
    per_unit = merged.groupby(["point", *params], dropna=False)[outcome].mean()
    return per_unit.reset_index().drop(columns="point")


def _prim(
    x: pd.DataFrame,
    cases: np.ndarray,
    density: float,
    n_boxes: int,
    peel_alpha: float,
    mass_min: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run EMA Workbench's PRIM; boxes, limits and trajectories as tidy tables."""
    with warnings.catch_warnings():  # the workbench warns of optional parts it does not need
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    x = x.copy()
    for column in x.columns:  # text and true/false values are categories to PRIM
        if not pd.api.types.is_numeric_dtype(x[column]) or pd.api.types.is_bool_dtype(x[column]):
            x[column] = x[column].astype(str).astype("category")
    # The workbench counts points with y ≥ threshold as cases and keeps a box whose density
    # reaches it; with 0/1 cases any tiny threshold counts them right and keeps every box
    # found (the choice from its path, by `density`, is ours).
    with warnings.catch_warnings():  # its pandas idioms draw deprecation warnings
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, cases.astype(np.int64), threshold=1e-9, peel_alpha=peel_alpha,
                           mass_min=mass_min)  # fmt: skip
    boxes, limits, paths = [], [], []
    for k in range(n_boxes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = finder.find_box()
        if box is None:
            break
        path = box.peeling_trajectory
        chosen = _choose(path, density)
        box.select(chosen)
        stats = path.iloc[chosen]
        inside = _in_box(x, box.box_lims[chosen])
        boxes.append(
            {
                "box": k,
                "coverage": float(stats["coverage"]),
                "density": float(stats["density"]),
                "mass": float(stats["mass"]),
                "points": int(inside.sum()),
                "cases": int((inside & cases).sum()),
                "restricted": int(stats["res_dim"]),
            }
        )
        limits.append(_limits(k, box.box_lims[chosen], box.box_lims[0]))
        paths.append(_trajectory(k, path))
    return (
        pd.DataFrame(boxes),
        pd.concat(limits, ignore_index=True),
        pd.concat(paths, ignore_index=True),
    )


def _choose(path: pd.DataFrame, density: float) -> int:
    """The step of the path with the most coverage at ``density`` or more (else the densest)."""
    coverage = path["coverage"].to_numpy(np.float64)
    dense = path["density"].to_numpy(np.float64) >= density
    if dense.any():
        return int(np.argmax(np.where(dense, coverage, -1.0)))
    return int(np.argmax(path["density"].to_numpy(np.float64)))


def _in_box(x: pd.DataFrame, lims: pd.DataFrame) -> np.ndarray:
    """Which points lie in the box ``lims`` (numbers: within [low, high]; categories: kept)."""
    inside = np.ones(len(x), dtype=bool)
    for column in x.columns:
        if isinstance(x[column].dtype, pd.CategoricalDtype):
            inside &= x[column].isin(lims[column].iloc[0]).to_numpy()
        else:
            low, high = lims[column].iloc[0], lims[column].iloc[1]
            inside &= ((x[column] >= low) & (x[column] <= high)).to_numpy()
    return inside


def _limits(k: int, lims: pd.DataFrame, whole: pd.DataFrame) -> pd.DataFrame:
    """The box's limit on each parameter, and whether it restricts it at all."""
    rows = []
    for column in lims.columns:
        low, high = lims[column].iloc[0], lims[column].iloc[1]
        if isinstance(low, set):  # a categorical parameter: the categories kept
            kept = sorted(map(str, low))
            restricted = set(low) != set(whole[column].iloc[0])
            rows.append((k, column, np.nan, np.nan, ", ".join(kept), restricted))
        else:
            restricted = bool(low > whole[column].iloc[0] or high < whole[column].iloc[1])
            rows.append((k, column, float(low), float(high), "", restricted))
    columns = ["box", "parameter", "low", "high", "values", "restricted"]
    return pd.DataFrame(rows, columns=columns)


def _trajectory(k: int, path: pd.DataFrame) -> pd.DataFrame:
    """The peeling path: coverage, density, mass and restricted parameters per step."""
    out = path[["coverage", "density", "mass", "res_dim"]].astype(float).copy()
    out.insert(0, "step", np.arange(len(out)))
    out.insert(0, "box", k)
    return out.rename(columns={"res_dim": "restricted"})
