"""The repeated Bertrand pricing market of Calvano et al. (2020), as M markets in one model.

Description:
    ``n_markets`` independent markets (Calvano et al.'s *sessions*), each with ``n_firms``
    firms selling differentiated goods under logit demand. Every period each firm sets a price
    from a grid of ``m`` prices laid around the Bertrand–Nash and monopoly prices; demand and
    profits follow (:mod:`socialrl_models.pricing.theory`). A firm remembers the last ``memory``
    price
    vectors of its market: that is its state. Markets are a batch, so 1,000 sessions are one
    model stepping in a handful of array operations, and a market stops once it has converged
    (:meth:`end_sessions`) while the others go on.

Action Space:
    ``Discrete(m)`` per firm: the index of its price on the grid (``model.grid[firm, a]``).

Observation Space:
    ``observation="state"`` (default): ``Discrete(m ** (n_firms · memory))``, the index of the
    last ``memory`` price vectors, for Q tables. ``observation="prices"``: a ``Box`` of the same
    prices as grid positions scaled to [0, 1], shape ``(memory · n_firms,)``, for networks.
    Either way a firm sees its own price first, then its rivals' in seat order after it, most
    recent period first: symmetric firms see symmetric states, so they can share a table.

Rewards:
    The period's profit ``π_i = (p_i − c_i) q_i``. With ``demand_shock = σ > 0`` every firm's
    quality gets an ``N(0, σ²)`` shock each period: independent over time, or persistent with
    ``shock_persistence`` (AR(1)); firms see its bins in their state with ``shock_observed``.

Episode End:
    Never, by default: the game is infinitely repeated and learners discount. With
    ``max_episode_steps`` every market's episode is truncated after that many periods (for the
    single-agent and PettingZoo views); an autoreset market restarts from a random state.

Arguments:
    See :class:`PricingModel`.

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import mesa
import numpy as np
import pandas as pd

from socialrl.best_response import common_discount
from socialrl.contract import RepeatedGame, RoleStep, episode_limit
from socialrl.single_role import SessionBatch

from . import shocks, states
from .agents import Firm
from .counterfactuals import counterfactual_outcomes
from .final_tables import learned_tables
from .profit_gain import warn_undefined_own_gains
from .theory import (
    LogitMarket,
    benchmarks,
    firm_grids,
    industry_profit_gain,
)

__all__ = ["PricingModel"]

ROLE = "firm"

#: Payoff tables up to this many joint price vectors are precomputed (n 4 and m 15: 50,625).
MAX_PAYOFF_TABLE = 1 << 22


class PricingModel(SessionBatch[Firm], mesa.Model):
    """M markets of n price-setting firms (role ``firm``).

    Args:
        n_markets: Independent markets (sessions), ≥ 1.
        n_firms: Firms per market, ≥ 2.
        quality: ``a_i``: one number for every firm or one per firm.
        cost: ``c_i``: one number for every firm or one per firm.
        outside: ``a_0``, the outside good's quality.
        mu: ``μ > 0``, product differentiation.
        m: Prices on the grid, ≥ 2.
        xi: Grid extension ``ξ ≥ 0`` beyond the Nash and monopoly prices.
        prices: An explicit price grid (the same for every firm) instead of ``m`` and ``xi``.
        memory: Price vectors a state remembers, ``k ≥ 1``.
        deviation_periods: Length ``L ≥ 1`` of the forced deviation in the end-of-run
            ``impulse`` table and the punishment and deviation measures (Calvano et al.: 1).
        demand_shock: Standard deviation ``σ`` of each firm's quality shock (0: none).
        shock_persistence: ``ρ ∈ [0, 1)`` of the AR(1) shock ``ε_t = ρ ε_{t−1} + √(1−ρ²) σ η_t``
            (0: i.i.d.); the stationary s.d. stays ``σ`` (see :mod:`.shocks`).
        shock_observed: Firms see every firm's last shock, in ``shock_bins`` equal-probability
            bins, as part of their state (``m^(k·n) · b^n`` states); False: imperfect
            monitoring, a low profit may be a rival's cut or bad demand.
        shock_bins: ``b ≥ 2`` bins of an observed shock (2: below or above 0).
        observation: ``"state"`` (an index) or ``"prices"`` (features).
        max_episode_steps: Periods after which every market's episode is truncated (None: the
            game never ends).
        autoreset: A truncated market restarts from a random state within the step; with
            False it stays finished (see :mod:`socialrl.contract`).
        rng: Seed or ``numpy.random.Generator``; the model's only source of randomness (the
            initial prices, the shocks).

    Raises:
        ValueError: naming the parameter, for any value outside its range, a cost above every
            price of the grid, or a state space too large to index.

    """

    render_modes: ClassVar[list[str]] = ["ansi"]

    def __init__(
        self,
        n_markets: int = 1,
        n_firms: int = 2,
        quality: float | Sequence[float] = 2.0,
        cost: float | Sequence[float] = 1.0,
        outside: float = 0.0,
        mu: float = 0.25,
        m: int = 15,
        xi: float = 0.1,
        prices: Sequence[float] | None = None,
        memory: int = 1,
        deviation_periods: int = 1,
        demand_shock: float = 0.0,
        shock_persistence: float = 0.0,
        shock_observed: bool = False,
        shock_bins: int = 2,
        observation: str = "state",
        max_episode_steps: int | None = None,
        autoreset: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        _check_counts(
            n_markets=n_markets, n_firms=n_firms, memory=memory, deviation_periods=deviation_periods
        )
        self.deviation_periods = int(deviation_periods)
        n = int(n_firms)
        self.market = LogitMarket(
            _per_firm("quality", quality, n), _per_firm("cost", cost, n), float(outside), mu
        )
        self.bench = benchmarks(self.market)
        warn_undefined_own_gains(self.bench)
        self.grid = firm_grids(self.market, self.bench, m, xi, prices)
        self.n_markets, self.n_firms = int(n_markets), n
        self.n_prices, self.memory = int(self.grid.shape[1]), int(memory)
        self._set_options(demand_shock, observation, max_episode_steps, autoreset)
        self._set_shock_options(shock_persistence, shock_observed, shock_bins)
        self._index_states()
        self.payoffs = self._payoff_table()
        self._init_markets()
        # After the initial prices, so that shocks never shift the start a seed gives.
        self._shock_state = shocks.start(
            (self.n_markets, n), self.demand_shock, self.shock_persistence, self.rng
        )
        self.period = 0  # our own counter (Mesa's `steps` differs across versions)

        M = self.n_markets
        self.firms = [Firm(self, k * n + i, k, i) for k in range(M) for i in range(n)]
        self.declare_role(
            ROLE, self.firms, self._observation_space(), gym.spaces.Discrete(self.n_prices)
        )

    # ------------------------------------------------------------------ construction
    def _set_options(
        self,
        demand_shock: float,
        observation: str,
        max_episode_steps: int | None,
        autoreset: bool,
    ) -> None:
        """Check and keep the options that shape play, not the market (errors name the option)."""
        if not demand_shock >= 0:
            raise ValueError(
                f"demand_shock (s.d. of quality shocks) must be ≥ 0, got {demand_shock!r}"
            )
        self.demand_shock = float(demand_shock)
        if observation not in ("state", "prices"):
            raise ValueError(f"observation must be 'state' or 'prices', got {observation!r}")
        self.observation = observation
        episode_limit(max_episode_steps)
        self.max_episode_steps = max_episode_steps
        self.autoreset = bool(autoreset)

    def _set_shock_options(self, persistence: float, observed: bool, bins: int) -> None:
        """Check and keep how demand shocks evolve and whether firms see them (:mod:`.shocks`)."""
        shocks.check_options(self.demand_shock, persistence, observed, bins, self.observation)
        self.shock_persistence = float(persistence)
        self.shock_observed = bool(observed)
        self.shock_bins = int(bins) if observed else 1
        self._shock_edges = shocks.bin_edges(self.demand_shock, self.shock_bins)

    def _index_states(self) -> None:
        """Set the weights that number states and joint actions, refusing a space too large.

        A state is ``memory · n`` grid indices read as one base-``m`` number; past 2^62 it no
        longer fits an ``int64``, so only the ``"prices"`` observation can be used there.
        Observed shocks multiply the count by ``b^n``: price state ``s`` with shock code ``z``
        (:func:`shocks.observed_codes`) is state ``s + m^(k·n) z``.
        """
        n, digits = self.n_firms, self.memory * self.n_firms
        self._price_states = self.n_prices**digits
        if self.observation == "state" and self._price_states * self.shock_bins**n >= 2**62:
            raise ValueError(
                f"m ** (n_firms · memory) = {self.n_prices}^{digits} states cannot be indexed; "
                "use observation='prices' (features) or fewer prices, firms or periods of memory"
            )
        self.n_states = self._price_states * self.shock_bins**n
        self._weights = states.state_weights(n, self.n_prices, self.memory)
        self._joint = self.n_prices ** np.arange(n, dtype=np.int64)

    def _init_markets(self) -> None:
        """Allocate every market's state, once the grid and its indexing are known.

        The initial prices are drawn from ``rng`` here, before anything else the model draws,
        so a seed gives the same start; then episode counters, activity flags and the per-firm
        action and profit buffers (``_never``: a read-only all-False mask).
        """
        M, n = self.n_markets, self.n_firms
        self.history = self.rng.integers(self.n_prices, size=(M, self.memory, n), dtype=np.int64)
        self.episode_steps = np.zeros(M, dtype=np.int64)
        self.init_sessions(M, n)
        self._actions = np.zeros(M * n, dtype=np.int64)
        self._last_profits = np.zeros(M * n)
        self._never = np.zeros(M * n, dtype=bool)
        self._never.flags.writeable = False
        self._last_shock: np.ndarray | None = None

    def _payoff_table(self) -> np.ndarray | None:
        """``π[n, m^n]`` for every joint price vector (None if too large or demand is random)."""
        n, m = self.market.n_firms, self.grid.shape[1]
        if self.demand_shock > 0 or m**n > MAX_PAYOFF_TABLE:
            return None
        return np.ascontiguousarray(self._profits_of(self._joint_actions()).T)

    def _joint_actions(self) -> np.ndarray:
        """Every joint action, ``[m^n, n]``: row ``Σ_j a_j m^j`` holds ``(a_0, …, a_{n−1})``."""
        joint = np.arange(self.grid.shape[1] ** self.market.n_firms, dtype=np.int64)
        return (joint[:, None] // self._joint[None, :]) % self.grid.shape[1]

    def _profits_of(self, actions: np.ndarray, shock: np.ndarray | None = None) -> np.ndarray:
        """Profits ``[..., n]`` of grid actions ``[..., n]`` (optionally shocked qualities)."""
        prices = self._prices_of(actions)
        if shock is None:
            return self.market.profits(prices)
        # Quality a_i + ε_i enters demand only through a_i − p_i: demand at prices p − ε.
        return (prices - self.market.cost) * self.market.demand(prices - shock)

    def _observation_space(self) -> gym.Space[Any]:
        if self.observation == "state":
            return gym.spaces.Discrete(self.n_states)
        return gym.spaces.Box(0.0, 1.0, (self.memory * self.n_firms,), dtype=np.float32)

    # ------------------------------------------------------------------ contract
    def observe(self, role: str = ROLE) -> np.ndarray:
        """Every firm's observation of its market's last ``memory`` price vectors."""
        self._check_role(role)
        return self._as_observation(self.history)

    def _as_observation(self, history: np.ndarray) -> np.ndarray:
        """States (``int64[M·n]``) or features (``float32[M·n, k·n]``) of histories ``[M,k,n]``."""
        if self.observation == "state":
            index = states.encode(history, self._weights)
            if self.shock_observed:  # the last shocks' bins, seen from each seat
                index = index + self._price_states * shocks.observed_codes(
                    self._shock_state, self._shock_edges
                )
            return index.ravel()
        return states.price_features(history, self.n_prices)

    def step(self) -> None:
        """One period in every playing market: set prices, sell, remember."""
        M, n = self.n_markets, self.n_firms
        playing = self._sessions_active & self._episode_active
        actions = self._actions.reshape(M, n)
        if self.payoffs is not None:
            profits = self.payoffs.T[actions @ self._joint]
        else:
            shock = None
            if self.demand_shock > 0:  # AR(1); ρ = 0 is i.i.d. N(0, σ²) (see .shocks)
                shock = shocks.ar1_step(
                    self._shock_state, self.demand_shock, self.shock_persistence, self.rng
                )
                self._shock_state = np.where(playing[:, None], shock, self._shock_state)
            profits = self._profits_of(actions, shock)
            self._last_shock = shock  # what counterfactual_outcomes prices the others at
        profits = np.where(playing[:, None], profits, 0.0)
        hist = self.history
        hist[playing, 1:] = hist[playing, :-1]
        hist[playing, 0] = actions[playing]
        next_obs = self._as_observation(hist)

        truncated_m = np.zeros(M, dtype=bool)
        if self.max_episode_steps is not None:
            self.episode_steps += playing
            truncated_m = playing & (self.episode_steps >= self.max_episode_steps)
        obs = next_obs
        if truncated_m.any():
            if self.autoreset:
                k = int(truncated_m.sum())
                hist[truncated_m] = self.rng.integers(self.n_prices, size=(k, self.memory, n))
                self.episode_steps[truncated_m] = 0
                obs = self._as_observation(hist)
            else:
                self._episode_active &= ~truncated_m
        truncated = np.repeat(truncated_m, n) if truncated_m.any() else self._never
        self._last_profits = profits.ravel()
        self._outcome = RoleStep(obs, self._last_profits, self._never, truncated, next_obs)
        self.period += 1

    def initial_values(self, role: str, gamma: float) -> np.ndarray:
        """Calvano et al.'s initial Q: the discounted profit against uniformly random rivals.

        ``Q₀(s, a_i) = Σ_{a₋ᵢ} π_i(a_i, a₋ᵢ) / ((1 − δ) |A|^(n−1))`` in every state ``s``.

        Returns:
            ``float64[M·n, 1, m]`` (the same row in every state), for ``init="model"``.

        """
        self._check_role(role)
        if not 0.0 <= gamma < 1.0:
            raise ValueError(f"Calvano's initial Q needs a discount factor gamma < 1, got {gamma}")
        n, m = self.n_firms, self.n_prices
        rows = np.empty((n, m))
        for seat in range(n):
            profits = self._payoffs_of_seat(seat).reshape((m,) * n)  # axis n − 1 − j is firm j
            others = tuple(ax for ax in range(n) if ax != n - 1 - seat)
            rows[seat] = profits.mean(axis=others) / (1.0 - gamma)
        return np.tile(rows, (self.n_markets, 1))[:, None, :]

    def _payoffs_of_seat(self, seat: int) -> np.ndarray:
        """Seat ``seat``'s profit for every joint action ``Σ_j a_j m^j`` (deterministic demand)."""
        if self.payoffs is not None:
            return self.payoffs[seat]
        return self._profits_of(self._joint_actions())[:, seat]

    def repeated_game(self) -> RepeatedGame | None:
        """Describe the markets as repeated games for compiled Q-learning (see the contract).

        None where that description does not hold: random demand, episodes, feature
        observations, or a payoff table too large to hold.
        """
        if (
            self.payoffs is None
            or self.max_episode_steps is not None
            or self.observation != "state"
        ):
            return None
        return RepeatedGame(
            role=ROLE,
            n_players=self.n_firms,
            n_actions=self.n_prices,
            memory=self.memory,
            payoffs=self.payoffs,
            history=self.history,
            state_weights=self._weights,
            active=self._sessions_active,
            ended_at=self.ended_at,
            finish=self._after_compiled,
        )

    def _after_compiled(self, periods: int, last_rewards: np.ndarray) -> None:
        """Bring the counter and the last outcome up to date after compiled periods."""
        self.period += periods
        self._last_profits = last_rewards.copy()
        obs = self._as_observation(self.history)
        self._outcome = RoleStep(obs, self._last_profits, self._never, self._never, obs)

    def counterfactual_outcomes(self, role: str = ROLE) -> tuple[np.ndarray, np.ndarray]:
        """What every price would have earned each firm last period, and the state it led to.

        For Asker, Fershtman & Pakes's synchronous learners (:mod:`.counterfactuals`).

        Returns:
            ``(rewards float64[M·n, m], next_obs int64[M·n, m])``.

        """
        self._check_role(role)
        return counterfactual_outcomes(self)

    # ------------------------------------------------------------------ reporters
    def prices(self) -> np.ndarray:
        """Last period's prices ``[M, n]``."""
        return self._prices_of(self.history[:, 0, :])

    def last_profits(self) -> np.ndarray:
        """Last period's profit of every firm (``float64[M·n]``)."""
        return self._last_profits

    def metrics(self) -> dict[str, float]:
        """Mean price, the profit gain Δ of the prices now set, and the share of markets done."""
        prices = self.prices()
        gain = industry_profit_gain(self.market.profits(prices), self.bench)
        return {
            "price_mean": float(prices.mean()),
            "delta_mean": float(gain.mean()),
            **self.session_metrics(),
        }

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Per-firm reporters: market, seat, last price and profit, whether it still plays."""
        self._check_role(role)
        n = self.n_firms
        return {
            "market": np.repeat(np.arange(self.n_markets), n),
            "firm": np.tile(np.arange(n), self.n_markets),
            "price": self.prices().ravel(),
            "profit": self._last_profits,
            "playing": self.active(role),
        }

    def final_tables(self, population: Any, horizon: int = 25) -> dict[str, pd.DataFrame]:
        """What the firms learned, and how a regulator would judge it (see :mod:`.final_tables`).

        ``markets`` (greedy cycle, Δ of the industry and of each firm, convergence, whether
        the strategies are a Nash equilibrium on path and subgame perfect, punishment depth
        and length, the forced deviation's gain), ``impulse`` (Calvano et al.'s forced
        deviation of ``deviation_periods`` periods, ``tau`` 0 the period before it) and
        ``equilibrium`` (each firm's value of its strategy and of its best response). Profits
        are discounted with the learners' own γ (:class:`~socialrl.capabilities.Discounting`;
        Calvano's 0.95 where a learner states none, or where they differ).
        """
        delta = common_discount(population, ROLE)
        play = self._greedy_play(population.greedy_policy(ROLE))
        return learned_tables(self, play, delta, horizon)

    # ------------------------------------------------------------------ greedy dynamics
    def _greedy_play(self, greedy: Any) -> Any:
        """``history[M,k,n] → actions[M,n]``: every firm's greedy price in those states."""

        def play(history: np.ndarray) -> np.ndarray:
            acts = np.asarray(greedy(self._as_observation(history)), dtype=np.int64)
            return acts.reshape(self.n_markets, self.n_firms)

        return play

    def _code(self, history: np.ndarray) -> np.ndarray:
        """A unique integer per history (firm 0's state index)."""
        return states.encode(history, self._weights)[:, 0]

    def _prices_of(self, actions: np.ndarray) -> np.ndarray:
        """Prices ``[..., n]`` of grid actions ``[..., n]`` (each firm on its own grid)."""
        return self.grid[np.arange(self.n_firms), actions]

    def _best_response(self, actions: np.ndarray, firm: int = 0) -> np.ndarray:
        """``actions`` with ``firm``'s replaced by its static best response on the grid."""
        m = self.n_prices
        trial = np.repeat(actions[:, None, :], m, axis=1)  # [M, m, n]
        trial[:, :, firm] = np.arange(m)
        best = self._profits_of(trial)[:, :, firm].argmax(axis=1)
        out = actions.copy()
        out[:, firm] = best
        return out

    def render_text(self) -> str:
        """Each market's last prices, one line per market (at most 20)."""
        lines = [
            f"market {k}: " + "  ".join(f"{p:.3f}" for p in row)
            for k, row in enumerate(self.prices()[:20])
        ]
        return "\n".join(lines)


def _per_firm(name: str, value: float | Sequence[float], n: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} must be one number or one per firm ({n}), got {list(arr)}")
    return arr


def _check_counts(**counts: int) -> None:
    lowest = {"n_markets": 1, "n_firms": 2, "memory": 1, "deviation_periods": 1}
    for name, value in counts.items():
        if isinstance(value, bool) or int(value) != value or value < lowest[name]:
            raise ValueError(f"{name} must be an integer ≥ {lowest[name]}, got {value!r}")
