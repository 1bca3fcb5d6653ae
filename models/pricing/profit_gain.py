"""Profit gain for firms that differ: when a firm's own Δ is undefined.

Calvano et al.'s (2020, §V) profit gain for asymmetric firms is the industry's,
``Δ = (Σπ̄ − Σπ_N) / (Σπ_M − Σπ_N)`` (:func:`~socialrl_models.pricing.theory.industry_profit_gain`).
A firm's own ``Δ_i`` divides by ``π_M,i − π_N,i``, which is zero or negative when its share
of the joint maximum is not above its Nash profit; the market says so once, when it is made.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .theory import own_gain_defined

__all__ = ["ProfitGainWarning", "warn_undefined_own_gains"]


class ProfitGainWarning(UserWarning):
    """A firm's own profit gain is undefined in this market (asymmetric firms)."""


def warn_undefined_own_gains(bench: Any) -> None:
    """Say so when some firm earns less at the joint-profit maximum than at Nash.

    Its own Δ_i would divide by a negative or zero spread (Calvano et al.'s cost-asymmetric
    cases: c₂ = 0.25 gives Δ_i of −4.9): ``delta_firm`` is NaN for it, and ``delta`` — the
    industry's gain, the paper's measure — is the one to read.
    """
    undefined = np.flatnonzero(~own_gain_defined(bench))
    if undefined.size:
        firms = ", ".join(
            f"firm {i} ({bench.profit_monopoly[i]:.4f} at the joint maximum, "
            f"{bench.profit_nash[i]:.4f} at Nash)"
            for i in undefined
        )
        warnings.warn(
            f"pricing: the own profit gain of {firms} is undefined (its joint-maximum profit "
            "is not above its Nash profit): markets.delta_firm is NaN for it; markets.delta "
            "is the industry's profit gain, as in Calvano et al. (2020)",
            ProfitGainWarning,
            stacklevel=3,
        )
