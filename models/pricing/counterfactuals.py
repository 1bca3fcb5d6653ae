"""Counterfactual outcomes: what every price would have earned, for synchronous learners.

Asker, Fershtman & Pakes (2022, 2024) let a firm that knows its demand update the value of
every price it could have charged (:mod:`socialrl.learners.counterfactual_q`). The market
supplies what that needs: for firm ``i`` of market ``k`` and each grid price ``a``, the
profit ``π_i(a, a₋ᵢ)`` at its rivals' actual prices (and the period's realised demand
shock), and the state ``i`` would observe after it — the same history with its own latest
price replaced. In ``i``'s own state numbering its latest price is the lowest digit (weight
1, see :func:`~socialrl_models.pricing.states.state_weights`), so that state is the actual
one plus ``a − a_i``. A firm in a market that ended reports zeros.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import PricingModel

__all__ = ["counterfactual_outcomes"]


def counterfactual_outcomes(model: PricingModel) -> tuple[np.ndarray, np.ndarray]:
    """``(rewards float64[M·n, m], next_obs int64[M·n, m])`` of the last period (module doc).

    Raises:
        ValueError: for ``observation="prices"`` (features have no counterfactual index).

    """
    if model.observation != "state":
        raise ValueError(
            "counterfactual_outcomes needs observation='state' (a state index per price); "
            "the 'prices' features have no counterfactual index"
        )
    M, n, m = model.n_markets, model.n_firms, model.n_prices
    played = model.history[:, 0, :]  # [M, n]: last period's actions
    own = np.arange(m) - played[..., None]  # [M, n, m]: a − a_i
    seat = np.arange(n)
    if model.payoffs is not None:  # joint action Σ_j a_j m^j, with a_i replaced by a
        joint = (played @ model._joint)[:, None, None] + own * model._joint[None, :, None]
        rewards = model.payoffs[seat[None, :, None], joint]
    else:
        trial = np.repeat(played[:, None, None, :], n, axis=1).repeat(m, axis=2)
        trial[:, seat, :, seat] = np.arange(m)  # [M, n, m, n]: firm i at price a
        shock = None if model._last_shock is None else model._last_shock[:, None, None, :]
        profits = model._profits_of(trial, shock)
        rewards = profits[:, seat, :, seat].transpose(1, 0, 2)  # [M, n, m]: own profit
    rewards = np.where(model._sessions_active[:, None, None], rewards, 0.0)
    actual = model._as_observation(model.history).reshape(M, n)  # [M, n], observed shocks too
    next_obs = actual[..., None] + own
    return rewards.reshape(M * n, m), next_obs.reshape(M * n, m)
