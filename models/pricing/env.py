"""The pricing market's environments: ``socialrl/PricingMarket-v0`` and the PettingZoo view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from socialrl.envs.gym_env import SingleAgentEnv
from socialrl.envs.pettingzoo_env import ParallelEnv

from .model import PricingModel

__all__ = ["PricingMarketEnv", "parallel_env", "rival_policy"]


def rival_policy(rival: Any, n_prices: int) -> Any:
    """The rivals' policy from a short description.

    Args:
        rival: ``"random"`` (uniform prices), ``"nash"`` or ``"monopoly"`` (the grid price
            nearest to that benchmark, computed per model), an ``int`` grid index, a function
            ``obs[n] → actions[n]``, or a learner (a trained, frozen one acts greedily).
        n_prices: Prices on the grid (to check an index).

    """
    if rival is None or rival == "random":
        return None  # the single-agent view's default: uniformly random prices
    if isinstance(rival, str):
        if rival not in ("nash", "monopoly"):
            raise ValueError(
                f"rival must be 'random', 'nash', 'monopoly', a grid index, a function or a "
                f"learner; got {rival!r}"
            )
        return rival  # resolved against the model's grid by PricingMarketEnv
    if isinstance(rival, int | np.integer) and not isinstance(rival, bool):
        if not 0 <= rival < n_prices:
            raise ValueError(f"rival grid index must lie in [0, {n_prices}), got {rival}")
        index = int(rival)
        return lambda obs: np.full(np.shape(obs)[0], index, dtype=np.int64)
    return rival


class PricingMarketEnv(SingleAgentEnv):
    """``socialrl/PricingMarket-v0``: one firm learns, its rivals play a given strategy.

    One market of Calvano et al.'s baseline by default (two firms, 15 prices, memory 1); the
    focal firm is firm 0. Episodes are truncated after ``max_episode_steps`` periods (the
    repeated game itself never ends). Every :class:`~socialrl_models.pricing.PricingModel`
    parameter can
    be passed, e.g. ``gymnasium.make("socialrl/PricingMarket-v0", rival="nash", mu=0.1)``.

    Args:
        render_mode: ``"ansi"`` prints the market's last prices.
        rival: The rivals' strategy (see :func:`rival_policy`; default ``"nash"``).
        max_episode_steps: Periods per episode.
        **params: Model parameters (``n_markets`` is 1).

    """

    def __init__(
        self,
        render_mode: str | None = None,
        rival: Any = "nash",
        max_episode_steps: int | None = 1000,
        **params: Any,
    ) -> None:
        if params.get("n_markets", 1) != 1:
            raise ValueError("PricingMarket-v0 is one market; use the batched view for more")
        params["n_markets"] = 1
        probe = PricingModel(**params)
        others = rival_policy(rival, probe.n_prices)
        if isinstance(others, str):
            others = _benchmark_rival(probe, others)
        super().__init__(
            PricingModel,
            role="firm",
            focal=0,
            others=others,
            render_mode=render_mode,
            max_episode_steps=max_episode_steps,
            **params,
        )


def _benchmark_rival(model: PricingModel, which: str) -> Callable[[np.ndarray], np.ndarray]:
    """Every firm of the batch at the grid price nearest to its Nash or monopoly price."""
    target = model.bench.p_nash if which == "nash" else model.bench.p_monopoly
    nearest = np.abs(model.grid - target[:, None]).argmin(axis=1)  # per firm

    def play(obs: np.ndarray) -> np.ndarray:
        return np.resize(nearest, obs.shape[0]).astype(np.int64)

    return play


def parallel_env(render_mode: str | None = None, **params: Any) -> ParallelEnv:
    """PettingZoo parallel market: every firm is an agent (``firm_0``, ``firm_1``, …)."""
    params.setdefault("max_episode_steps", 1000)
    return ParallelEnv(PricingModel, render_mode=render_mode, **params)
