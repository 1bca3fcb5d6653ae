"""The Moran process over a tournament's payoffs: which strategies take over a finite population.

A population of ``N`` individuals of ``K`` types (strategies) meets in every pair each
generation; an individual of type ``k`` earns the mean of the tournament's payoffs per turn
``A[k, j]`` against the ``N − 1`` others, and its fitness is

    F_k = 1 − w + w · π_k,    π_k = (Σ_j n_j A[k, j] − A[k, k]) / (N − 1),

with the intensity of selection ``w`` ∈ (0, 1] (``w = 1``: fitness is the payoff, as in the
``axelrod`` library's ``MoranProcess``). One generation is one birth–death event (Moran 1958;
Nowak et al. 2004): an individual is chosen to reproduce with probability proportional to its
fitness, and its offspring replaces an individual chosen uniformly at random (the parent
included). Without mutation the population ends with a single type (fixation).

For two types, the probability that one mutant ``A`` takes over ``N − 1`` residents ``B`` is
known in closed form (Nowak 2006, *Evolutionary Dynamics*, eq. 6.13): with ``i`` mutants,

    f_i = 1 − w + w (a (i − 1) + b (N − i)) / (N − 1),
    g_i = 1 − w + w (c i + d (N − i − 1)) / (N − 1),
    ρ_A = 1 / (1 + Σ_{k=1}^{N−1} Π_{i=1}^{k} g_i / f_i),

where ``a = A[A, A]``, ``b = A[A, B]``, ``c = A[B, A]``, ``d = A[B, B]``. Neutral drift
(``g_i = f_i``) gives ``1 / N``. :func:`fixation_probability` computes it;
:func:`simulate` runs many processes at once (state: the type counts ``[runs, K]``); the
tests check one against the other and against the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from socialrl.statistics import across_runs

__all__ = [
    "MoranOutcome",
    "MoranSettings",
    "fitness",
    "fixation_probability",
    "fixation_table",
    "simulate",
]


@dataclass(frozen=True)
class MoranSettings:
    """A Moran process's size, intensity of selection and number of simulated runs.

    Attributes:
        population: Individuals ``N`` (≥ 2).
        runs: Simulated processes per (mutant, resident) pair.
        selection: Intensity of selection ``w`` ∈ (0, 1].
        max_generations: A process still unfixed after this many births is an error (it cannot
            happen with positive fitness; the bound keeps a zero-fitness population from
            looping for ever).

    """

    population: int = 10
    runs: int = 1000
    selection: float = 1.0
    max_generations: int = 10_000_000

    def __post_init__(self) -> None:
        for key, lowest in (("population", 2), ("runs", 1), ("max_generations", 1)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(f"{key} must be a whole number ≥ {lowest}, got {value!r}")
        if not (isinstance(self.selection, int | float) and 0.0 < self.selection <= 1.0):
            raise ValueError(f"selection must lie in (0, 1], got {self.selection!r}")


@dataclass(frozen=True)
class MoranOutcome:
    """How each simulated process ended.

    Attributes:
        fixed: ``int64[runs]``, the type that took over.
        generations: ``int64[runs]``, birth–death events until it did.

    """

    fixed: np.ndarray
    generations: np.ndarray


def fitness(counts: np.ndarray, payoffs: np.ndarray, selection: float = 1.0) -> np.ndarray:
    """``F_k = 1 − w + w π_k`` of an individual of each type (module docstring), ``[runs, K]``.

    ``payoffs`` is one matrix ``[K, K]`` for every run, or one per run ``[runs, K, K]``.
    """
    n = counts.sum(axis=1, keepdims=True)
    against = np.matmul(payoffs, counts[:, :, None].astype(np.float64))[:, :, 0]
    earned = (against - np.diagonal(payoffs, axis1=-2, axis2=-1)) / (n - 1)
    return 1.0 - selection + selection * earned


def simulate(
    payoffs: np.ndarray,
    initial: np.ndarray | Sequence[int],
    rng: np.random.Generator,
    runs: int = 1,
    selection: float = 1.0,
    max_generations: int = 10_000_000,
) -> MoranOutcome:
    """Run Moran processes until each fixates, all at once.

    Args:
        payoffs: ``[K, K]`` payoff of type ``k`` against type ``j`` (a tournament's per-turn
            payoff matrix), or one such matrix per run, ``[runs, K, K]``.
            payoff matrix).
        initial: Type counts ``[K]`` (every run starts alike) or ``[runs, K]``; each row sums to
            the same population size ``N`` ≥ 2.
        rng: The generator of births and deaths.
        runs: Processes, when ``initial`` is one row.
        selection: Intensity of selection ``w``.
        max_generations: See :class:`MoranSettings`.

    Raises:
        ValueError: counts that are negative or sum to different sizes, or a population whose
            fitness is zero everywhere.

    """
    payoffs = np.asarray(payoffs, dtype=np.float64)
    start = np.asarray(initial, dtype=np.int64)
    k = payoffs.shape[-1]
    counts = np.array(np.broadcast_to(start, (runs, k))) if start.ndim == 1 else start
    counts = counts.copy()
    size = counts.sum(axis=1)
    if counts.min() < 0 or size.min() != size.max() or size[0] < 2:
        raise ValueError("initial counts must be ≥ 0 and sum to the same population N ≥ 2")
    generations = np.zeros(counts.shape[0], dtype=np.int64)
    active = np.flatnonzero(counts.max(axis=1) < size[0])
    for _ in range(max_generations):
        if not active.size:
            break
        now = counts[active]
        mine = payoffs if payoffs.ndim == 2 else payoffs[active]
        birth = _draw(now * fitness(now, mine, selection), rng)
        death = _draw(now.astype(np.float64), rng)
        counts[active, birth] += 1
        counts[active, death] -= 1
        generations[active] += 1
        active = active[counts[active].max(axis=1) < size[0]]
    if active.size:
        raise ValueError(f"no fixation within max_generations={max_generations}")
    return MoranOutcome(fixed=counts.argmax(axis=1), generations=generations)


def _draw(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row with probability proportional to the row's weights (≥ 0)."""
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1]
    if (total <= 0).any() or not np.isfinite(total).all():
        raise ValueError(
            "fitness is zero (or negative) for the whole population; use payoffs ≥ 0 "
            "with some positive, or a selection intensity below 1"
        )
    threshold = rng.random(weights.shape[0]) * total
    picked = (cumulative <= threshold[:, None]).sum(axis=1)
    # Rounding may put the threshold at the total: fall back on the last type with weight.
    last = weights.shape[1] - 1 - np.argmax(weights[:, ::-1] > 0, axis=1)
    return np.minimum(picked, last)


def fixation_probability(payoffs: np.ndarray, population: int, selection: float = 1.0) -> float:
    """ρ: one mutant (type 0 of the 2 × 2 ``payoffs``) takes over ``population − 1`` residents.

    The closed form of the module docstring. A mutant with zero fitness never fixates (ρ = 0).
    """
    (a, b), (c, d) = np.asarray(payoffs, dtype=np.float64)
    n, w = population, selection
    i = np.arange(1, n, dtype=np.float64)
    mutant = 1 - w + w * (a * (i - 1) + b * (n - i)) / (n - 1)
    resident = 1 - w + w * (c * i + d * (n - i - 1)) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = resident / mutant
    products = np.cumprod(ratios)
    return float(1.0 / (1.0 + products.sum())) if np.isfinite(products).all() else 0.0


def fixation_table(
    names: Sequence[str],
    payoffs: np.ndarray,
    settings: MoranSettings,
    seed: int | np.random.SeedSequence = 0,
) -> pd.DataFrame:
    """For every ordered pair of types: one mutant among ``N − 1`` residents, simulated and exact.

    All ``K (K − 1) · runs`` processes run as one batch of two-type processes (type 0 the
    mutant, type 1 the resident), each with its pair's 2 × 2 payoffs. Returns one row per
    (mutant, resident): ``population, selection, fixation`` (the simulated probability: the
    mean over runs, each run a unit), ``sd, n, ci95_low, ci95_high``, ``exact`` (the closed
    form), ``neutral`` (``1/N``), ``mean_generations`` (births until fixation, over all runs).
    """
    k = len(names)
    pairs = np.array([(m, r) for m in range(k) for r in range(k) if m != r])
    mutant = np.repeat(pairs[:, 0], settings.runs)
    resident = np.repeat(pairs[:, 1], settings.runs)
    both = np.stack([mutant, resident], axis=1)
    pair_payoffs = np.asarray(payoffs, dtype=np.float64)[both[:, :, None], both[:, None, :]]
    outcome = simulate(
        pair_payoffs,
        np.array([1, settings.population - 1]),
        np.random.default_rng(seed),
        runs=both.shape[0],
        selection=settings.selection,
        max_generations=settings.max_generations,
    )
    kind = pd.CategoricalDtype(list(names), ordered=True)
    per_run = pd.DataFrame(
        {
            "mutant": pd.Categorical.from_codes(mutant, dtype=kind),
            "resident": pd.Categorical.from_codes(resident, dtype=kind),
            "fixation": (outcome.fixed == 0).astype(np.float64),
            "generations": outcome.generations,
        }
    )
    table = across_runs(per_run, "fixation", by=["mutant", "resident"], bounds=(0, 1))
    table = table.rename(columns={"mean": "fixation"})
    grouped = per_run.groupby(["mutant", "resident"], observed=True)["generations"].mean()
    table["mean_generations"] = grouped.to_numpy()
    table.insert(2, "population", settings.population)
    table.insert(3, "selection", settings.selection)
    table["exact"] = [
        fixation_probability(
            payoffs[np.ix_([m, r], [m, r])], settings.population, settings.selection
        )
        for m, r in zip(table["mutant"].cat.codes, table["resident"].cat.codes, strict=True)
    ]
    table["neutral"] = 1.0 / settings.population
    return table
