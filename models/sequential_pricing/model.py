"""Two firms that set prices in turn (Klein 2021), as M markets in one Mesa model.

Description:
    ``n_markets`` independent duopolies (sessions) of Klein's (2021, RAND) market
    (:mod:`socialrl_models.sequential_pricing.theory`): a homogeneous good, demand ``1 − p``,
    prices on the grid ``{0, 1/k, …, 1}``. The firms move in turn — firm 0 in even periods,
    firm 1 in odd ones — and a price, once set, stands for two periods, so the mover answers
    the price its rival has just set (Maskin & Tirole 1988). Both firms earn every period. The
    first prices are drawn uniformly from the grid with the model's ``rng``. A market stops
    once it has converged (:meth:`end_sessions`) while the others go on.

Action Space:
    ``Discrete(k + 1)`` per firm: the index of its price on the grid. In a period where a firm
    does not move its action is ignored (:meth:`moved` says whose counted).

Observation Space:
    ``Discrete(k + 1)``: the rival's current price (Klein's state): what a firm answers.

Rewards:
    The period's profit ``(p_i − c)(1 − p_i) s_i``, share ``s_i`` 1, ½ or 0, for both firms
    every period. A Q-learner learns from its own moves only, from one move to its next, over
    the two periods between (:mod:`socialrl.turns`): Klein's update.

Episode End:
    Never, by default: the game is infinitely repeated and learners discount. With
    ``max_episode_steps`` every market's episode is truncated after that many periods (for
    the single-agent and PettingZoo views); an autoreset market restarts from new random
    prices.

Arguments:
    See :class:`SequentialPricingModel`.

"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import mesa
import numpy as np
import pandas as pd

from socialrl.best_response import common_discount
from socialrl.contract import RoleStep, episode_limit
from socialrl.single_role import SessionBatch

from .agents import Firm
from .final_tables import learned_outcomes
from .theory import KleinMarket

__all__ = ["SequentialPricingModel"]

ROLE = "firm"


class SequentialPricingModel(SessionBatch[Firm], mesa.Model):
    """M duopolies whose two firms reprice alternately (role ``firm``).

    Args:
        n_markets: Independent markets (sessions), ≥ 1.
        n_firms: Firms per market; must be 2 (Klein's alternating duopoly).
        k: Grid steps ``≥ 2``: prices ``{0, 1/k, …, 1}`` (Klein: 6, also 12, 24, 48, 100).
        cost: Marginal cost ``c ∈ [0, 1)`` (Klein: 0).
        deviation_periods: Moves ``L ≥ 1`` of firm 0's forced deviation in the end-of-run
            ``impulse`` table and the punishment and deviation measures (:mod:`.measures`).
        max_episode_steps: Periods after which every market's episode is truncated (None: the
            game never ends).
        autoreset: A truncated market restarts within the step; with False it stays
            finished (see :mod:`socialrl.contract`).
        rng: Seed or ``numpy.random.Generator``; the model's only source of randomness (the
            first prices).

    Raises:
        ValueError: naming the parameter, for any value outside its range (``n_firms`` ≠ 2).

    """

    render_modes: ClassVar[list[str]] = ["ansi"]

    def __init__(
        self,
        n_markets: int = 1,
        n_firms: int = 2,
        k: int = 6,
        cost: float = 0.0,
        deviation_periods: int = 1,
        max_episode_steps: int | None = None,
        autoreset: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        if isinstance(n_markets, bool) or int(n_markets) != n_markets or n_markets < 1:
            raise ValueError(f"n_markets must be an integer ≥ 1, got {n_markets!r}")
        if isinstance(n_firms, bool) or n_firms != 2:
            raise ValueError(
                f"n_firms must be 2: sequential pricing alternates two firms (Klein 2021), got "
                f"{n_firms!r}; for more firms use the simultaneous 'pricing' model"
            )
        max_episode_steps = episode_limit(max_episode_steps)
        if (
            isinstance(deviation_periods, bool)
            or int(deviation_periods) != deviation_periods
            or deviation_periods < 1
        ):
            raise ValueError(f"deviation_periods must be an integer ≥ 1, got {deviation_periods!r}")
        self.deviation_periods = int(deviation_periods)
        self.max_episode_steps = max_episode_steps
        self.autoreset = bool(autoreset)
        self.market = KleinMarket(k, float(cost))
        self.prices_grid = self.market.prices
        self.payoffs = self.market.payoffs
        self.n_markets, self.n_firms, self.n_prices = int(n_markets), 2, self.prices_grid.size
        M = self.n_markets
        self.price_index = self.rng.integers(0, self.n_prices, size=(M, 2))  # current prices
        self.period = 0  # periods played; firm ``period % 2`` moves next
        self.init_sessions(M, 2)
        self.episode_steps = np.zeros(M, dtype=np.int64)
        self._moved = np.zeros(2 * M, dtype=bool)
        self._last_profits = np.zeros(2 * M)
        self._never = np.zeros(2 * M, dtype=bool)
        self._never.flags.writeable = False
        self.firms = [Firm(self, 2 * m + i, m, i) for m in range(M) for i in range(2)]
        space = gym.spaces.Discrete(self.n_prices)
        self.declare_role(ROLE, self.firms, space, space)

    # ------------------------------------------------------------------ contract
    def observe(self, role: str = ROLE) -> np.ndarray:
        """Every firm's state: its rival's current price index."""
        self._check_role(role)
        return self._as_observation(self.price_index)

    @staticmethod
    def _as_observation(price_index: np.ndarray) -> np.ndarray:
        """``int64[M·2]``: each firm sees the other's price (seats swapped)."""
        return np.ascontiguousarray(price_index[:, ::-1]).ravel()

    def mover(self) -> int:
        """The seat that moves in the next period."""
        return self.period % 2

    def moved(self, role: str = ROLE) -> np.ndarray:
        """Whose price the last period changed: the mover of each running market."""
        self._check_role(role)
        return self._moved

    def step(self) -> None:
        """One period: the mover of each running market sets its price; both firms earn."""
        M = self.n_markets
        seat = self.mover()
        playing = self._sessions_active & self._episode_active
        chosen = self._actions.reshape(M, 2)[:, seat]
        self.price_index[playing, seat] = chosen[playing]
        profits = self.profits_of(self.price_index)
        profits[~playing] = 0.0
        moved = np.zeros((M, 2), dtype=bool)
        moved[:, seat] = playing
        self._moved = moved.ravel()
        self._last_profits = profits.ravel()
        next_obs = obs = self._as_observation(self.price_index)
        truncated = self._never
        if self.max_episode_steps is not None:
            self.episode_steps += playing
            ended = playing & (self.episode_steps >= self.max_episode_steps)
            if ended.any():
                truncated = np.repeat(ended, 2)
                if self.autoreset:  # new random prices, a new episode
                    self.price_index[ended] = self.rng.integers(
                        0, self.n_prices, size=(int(ended.sum()), 2)
                    )
                    self.episode_steps[ended] = 0
                    obs = self._as_observation(self.price_index)
                else:
                    self._episode_active &= ~ended
        self._outcome = RoleStep(obs, self._last_profits, self._never, truncated, next_obs)
        self.period += 1

    def profits_of(self, price_index: np.ndarray) -> np.ndarray:
        """Both firms' profits ``[..., 2]`` at price indices ``[..., 2]``."""
        a, b = price_index[..., 0], price_index[..., 1]
        return np.stack([self.payoffs[a, b], self.payoffs[b, a]], axis=-1)

    # ------------------------------------------------------------------ reporters
    def prices(self) -> np.ndarray:
        """Current prices ``[M, 2]``."""
        return self.prices_grid[self.price_index]

    def last_profits(self) -> np.ndarray:
        """Last period's profit of every firm (``float64[M·2]``)."""
        return self._last_profits

    def metrics(self) -> dict[str, float]:
        """Mean price and profit of the last period, profit gain, markets still running."""
        profit = float(self._last_profits.mean())
        nash, monopoly = self.market.profit_nash, self.market.profit_monopoly
        return {
            "price_mean": float(self.prices().mean()),
            "profit_mean": profit,
            "delta": (profit - nash) / (monopoly - nash),
            **self.session_metrics(),
        }

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Per-firm reporters: market, seat, current price, last profit, whether it plays."""
        self._check_role(role)
        return {
            "market": np.repeat(np.arange(self.n_markets), 2),
            "firm": np.tile(np.arange(2), self.n_markets),
            "price": self.prices().ravel(),
            "profit": self._last_profits,
            "playing": self.active(role),
        }

    def final_tables(self, population: Any, horizon: int = 25) -> dict[str, pd.DataFrame]:
        """What the firms learned, and how a regulator would judge it (:mod:`.final_tables`).

        ``markets``: one row per market and firm — the mean price and profit on the cycle
        that alternating greedy play reaches from the final prices, the profit gain, the
        cycle's length in periods and its kind (``focal``: one price pair for ever;
        ``cycle``: prices that keep moving, Edgeworth cycles among them), whether the
        strategies are a Nash equilibrium on the path and subgame perfect, the punishment
        and the gain of a forced deviation; ``impulse`` (that deviation's path) and
        ``equilibrium`` (each firm's value against its best response). Profits are
        discounted with the learners' own γ (:class:`~socialrl.capabilities.Discounting`;
        Klein's 0.95 where the learners state none, or differ).
        """
        delta = common_discount(population, ROLE)
        greedy = population.greedy_policy(ROLE)

        def play(price_index: np.ndarray, seat: int) -> np.ndarray:
            """The greedy price index of ``seat`` in every market, given current prices."""
            acts = np.asarray(greedy(self._as_observation(price_index)), dtype=np.int64)
            return acts.reshape(self.n_markets, 2)[:, seat]

        return learned_outcomes(self, play, delta, horizon)

    def render_text(self) -> str:
        """Each market's current prices, one line per market (at most 20)."""
        return "\n".join(
            f"market {k}: {a:.3f} {b:.3f}" for k, (a, b) in enumerate(self.prices()[:20])
        )
