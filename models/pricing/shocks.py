"""Demand shocks: persistent AR(1) quality shocks, and the state a firm sees of them.

Calvano et al. (2020, §VI) check that collusion survives stochastic demand; Calvano et al.
(2021, IJIO) ask whether it survives when firms cannot see the shocks (imperfect monitoring:
a low profit may be a rival's price cut or a bad draw). Every firm's quality ``a_i`` gets a
shock ``ε_{i,t}`` each period, following

    ``ε_t = ρ ε_{t−1} + √(1 − ρ²) σ η_t``,  ``η_t ~ N(0, 1)`` i.i.d.,

so that ``ρ = 0`` is the i.i.d. ``N(0, σ²)`` shock and, for every ``ρ ∈ [0, 1)``, the
stationary law is the same ``N(0, σ²)``: persistence changes how long a shock lasts, not how
large shocks are. Firms that observe the shocks see each firm's last shock in one of ``b``
equal-probability bins of that stationary law, and those ``n`` digits join their state.
All draws come from the model's own generator.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from . import states

__all__ = ["ar1_step", "bin_edges", "check_options", "observed_codes", "start"]


def start(shape: tuple[int, ...], sigma: float, rho: float, rng: np.random.Generator) -> np.ndarray:
    """The shock before the first period: a stationary draw, or zeros when ``ρ = 0``.

    With ``ρ = 0`` the previous shock has no weight, so nothing is drawn and a seed gives the
    same i.i.d. shocks it gave before persistence existed.
    """
    if rho == 0.0:
        return np.zeros(shape)
    return rng.normal(0.0, sigma, size=shape)


def ar1_step(
    previous: np.ndarray, sigma: float, rho: float, rng: np.random.Generator
) -> np.ndarray:
    """``ε_t = ρ ε_{t−1} + √(1 − ρ²) σ η_t``: next period's shocks, same shape as ``previous``."""
    innovation = rng.normal(0.0, sigma * np.sqrt(1.0 - rho * rho), size=previous.shape)
    return rho * previous + innovation


def bin_edges(sigma: float, bins: int) -> np.ndarray:
    """``b − 1`` cut points ``σ Φ⁻¹(j / b)``: bins of equal probability under ``N(0, σ²)``.

    Two bins split at 0 (bad / good demand), the shock state Green & Porter's firms infer.
    """
    unit = NormalDist()
    return np.array([sigma * unit.inv_cdf(j / bins) for j in range(1, bins)])


def observed_codes(shock: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each viewer's number for the shock bins ``[M, n]``: its own bin first, then rivals'.

    The digit of firm ``j`` in viewer ``i``'s base-``b`` number is ``(j − i) mod n``, the
    seat order of :func:`states.state_weights`, so symmetric firms share states.
    """
    _, n = shock.shape
    bins = np.searchsorted(edges, shock, side="right").astype(np.int64)  # [M, n] in 0..b−1
    weights = states.state_weights(n, edges.size + 1, 1)  # [viewer, 1, firm]
    return bins @ weights[:, 0, :].T


def check_options(
    sigma: float, persistence: float, observed: bool, bins: int, observation: str
) -> None:
    """Refuse, in one line naming the option, shock settings that cannot hold together."""
    if not 0.0 <= persistence < 1.0:
        raise ValueError(f"shock_persistence must be in [0, 1), got {persistence!r}")
    if persistence > 0 and sigma == 0:
        raise ValueError("shock_persistence needs demand_shock > 0 (there is no shock to persist)")
    if isinstance(bins, bool) or int(bins) != bins or bins < 2:
        raise ValueError(f"shock_bins must be an integer ≥ 2, got {bins!r}")
    if observed and sigma == 0:
        raise ValueError("shock_observed needs demand_shock > 0 (there is no shock to observe)")
    if observed and observation != "state":
        raise ValueError("shock_observed needs observation='state' (the shock joins the index)")
