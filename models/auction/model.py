"""Repeated sealed-bid auctions of Banchio & Skrzypacz (2022), as M auctions in one model.

Description:
    ``n_markets`` independent repeated auctions (sessions), each with ``n_bidders`` bidders.
    Every period one item is sold in every auction: each bidder places a bid from a grid of
    ``m`` bids, the highest bid at or above the reserve wins (ties broken uniformly at random
    with the model's ``rng``), and the winner pays its bid (``format="first"``) or the highest
    other bid (``"second"``); see :mod:`socialrl_models.auction.theory`. Auctions are a batch,
    so 1,000 sessions step in a handful of array operations, and an auction stops once it has
    converged (:meth:`end_sessions`) while the others go on.

Action Space:
    ``Discrete(m)`` per bidder: the index of its bid on the grid (``model.rules.bids[a]``).

Observation Space:
    ``disclosure=False`` (default): ``Discrete(1)``, the same state every period — Banchio &
    Skrzypacz's stateless bidders, who see only their own payoffs. ``disclosure=True``: the
    winning bid of the last period is revealed to everyone, ``Discrete(m + 1)``: its grid
    index, or ``m`` when nothing was sold (or nothing yet). Banchio & Skrzypacz find that
    such feedback (in their paper the lowest bid that would have won, as Google introduced
    with its switch to first-price auctions) makes first-price auctions more competitive.

Rewards:
    ``v_i − p`` for the winner, 0 for the others. With ``tie_break="share"`` the tied
    winners get their expected payoff ``(v_i − p)/k`` instead of a draw: payoffs become a
    fixed table, and the compiled Q-learning loop (:mod:`socialrl.run.repeated_game`) can run
    the stateless auctions.

Episode End:
    Never, by default: the auction repeats forever and learners discount. With
    ``max_episode_steps`` every auction's episode is truncated after that many periods (for
    the single-agent and PettingZoo views); an autoreset auction restarts with nothing
    revealed.

Arguments:
    See :class:`AuctionModel`.

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

from .agents import Bidder
from .final_tables import learned_bids
from .theory import (
    Auction,
    bid_grid,
    expected_payoffs,
    prices_paid,
    realised_payoffs,
    win_shares,
    winners,
)

__all__ = ["AuctionModel"]

ROLE = "bidder"
TIE_BREAKS = ("random", "share")

#: Payoff tables up to this many joint bid profiles are precomputed (n 4 and m 21: 194,481).
MAX_PAYOFF_TABLE = 1 << 22


class AuctionModel(SessionBatch[Bidder], mesa.Model):
    """M repeated auctions of n bidders (role ``bidder``).

    Args:
        n_markets: Independent auctions (sessions), ≥ 1.
        n_bidders: Bidders per auction, ≥ 2.
        values: ``v_i``: one number for every bidder (Banchio & Skrzypacz: a common 1) or one
            per bidder, each > 0.
        m: Bids on the grid, equally spaced on ``[0, highest value]``, ≥ 2.
        bids: An explicit bid grid (increasing, ≥ 0) instead of ``m``.
        format: ``"first"`` (the winner pays its bid) or ``"second"`` (the highest other bid).
        reserve: Reserve price ``r ≥ 0``: bids below it never win, a second-price winner pays
            at least it; it must not exceed every value.
        disclosure: Reveal the last winning bid to every bidder (it is then their state);
            False: stateless bidders.
        deviation_periods: Periods ``L ≥ 1`` of bidder 0's forced deviation in the end-of-run
            ``impulse`` table and the punishment and deviation measures (:mod:`.measures`).
        tie_break: ``"random"``: a tie goes to one of the tied bidders, drawn uniformly with
            the model's ``rng``; ``"share"``: each tied bidder gets its expected payoff.
        max_episode_steps: Periods after which every auction's episode is truncated (None:
            the auction never ends).
        autoreset: A truncated auction restarts within the step; with False it stays
            finished (see :mod:`socialrl.contract`).
        rng: Seed or ``numpy.random.Generator``; the model's only source of randomness (the
            tie-breaking draws).

    Raises:
        ValueError: naming the parameter, for any value outside its range (a bidder count
            below 2, a reserve above every value, an unknown format).

    """

    render_modes: ClassVar[list[str]] = ["ansi"]

    def __init__(
        self,
        n_markets: int = 1,
        n_bidders: int = 2,
        values: float | Sequence[float] = 1.0,
        m: int = 19,
        bids: Sequence[float] | None = None,
        format: str = "first",
        reserve: float = 0.0,
        disclosure: bool = False,
        tie_break: str = "random",
        deviation_periods: int = 1,
        max_episode_steps: int | None = None,
        autoreset: bool = True,
        rng: Any = None,
    ) -> None:
        super().__init__(rng=rng)
        _check_counts(n_markets=n_markets, n_bidders=n_bidders, deviation_periods=deviation_periods)
        self.deviation_periods = int(deviation_periods)
        self.n_markets, self.n_bidders = int(n_markets), int(n_bidders)
        vals = _per_bidder(values, self.n_bidders)
        self.rules = Auction(vals, bid_grid(m, bids, float(vals.max())), format, float(reserve))
        self.n_bids = int(self.rules.bids.shape[0])
        self._set_options(disclosure, tie_break, max_episode_steps, autoreset)
        self._joint = self.n_bids ** np.arange(self.n_bidders, dtype=np.int64)
        self.payoffs = self._payoff_table()
        self._init_markets()
        self.period = 0  # our own counter (Mesa's `steps` differs across versions)

        M, n = self.n_markets, self.n_bidders
        self.bidders = [Bidder(self, k * n + i, k, i) for k in range(M) for i in range(n)]
        self.n_states = self.n_bids + 1 if self.disclosure else 1
        self.declare_role(
            ROLE, self.bidders, gym.spaces.Discrete(self.n_states), gym.spaces.Discrete(self.n_bids)
        )

    # ------------------------------------------------------------------ construction
    def _set_options(
        self, disclosure: bool, tie_break: str, max_episode_steps: int | None, autoreset: bool
    ) -> None:
        """Check and keep the options that shape play, not the rules (errors name the option)."""
        if not isinstance(disclosure, bool | np.bool_):
            raise ValueError(f"disclosure must be true or false, got {disclosure!r}")
        self.disclosure = bool(disclosure)
        if tie_break not in TIE_BREAKS:
            raise ValueError(f"tie_break must be 'random' or 'share', got {tie_break!r}")
        self.tie_break = tie_break
        max_episode_steps = episode_limit(max_episode_steps)
        self.max_episode_steps = max_episode_steps
        self.autoreset = bool(autoreset)

    def _payoff_table(self) -> np.ndarray | None:
        """Expected payoffs ``u[n, m^n]`` for every joint bid profile (None if too large)."""
        if self.n_bids**self.n_bidders > MAX_PAYOFF_TABLE:
            return None
        joint = np.arange(self.n_bids**self.n_bidders, dtype=np.int64)
        actions = (joint[:, None] // self._joint[None, :]) % self.n_bids
        return np.ascontiguousarray(expected_payoffs(self.rules.bids[actions], self.rules).T)

    def _init_markets(self) -> None:
        """Allocate every auction's state: no bid yet, nothing revealed, all playing."""
        M, n = self.n_markets, self.n_bidders
        self.history = np.zeros((M, 1, n), dtype=np.int64)  # last bids, for the compiled loop
        self.revealed = np.full(M, self.n_bids, dtype=np.int64)  # m: nothing revealed
        self.episode_steps = np.zeros(M, dtype=np.int64)
        self.init_sessions(M, n)
        self._actions = np.zeros(M * n, dtype=np.int64)
        self._last_payoffs = np.zeros(M * n)
        self._last_revenue = np.zeros(M)
        self._never = np.zeros(M * n, dtype=bool)
        self._never.flags.writeable = False

    # ------------------------------------------------------------------ contract
    def observe(self, role: str = ROLE) -> np.ndarray:
        """Every bidder's state: the last winning bid's index (disclosure) or 0."""
        self._check_role(role)
        return self._as_observation(self.revealed)

    def _as_observation(self, revealed: np.ndarray) -> np.ndarray:
        """``int64[M·n]``: what each bidder sees when its auction revealed ``revealed[M]``."""
        if not self.disclosure:
            return np.zeros(revealed.shape[0] * self.n_bidders, dtype=np.int64)
        return np.repeat(revealed, self.n_bidders)

    def _revealed_after(self, actions: np.ndarray) -> np.ndarray:
        """The winning bid's index of each profile ``[M, n]``, or ``m`` where nothing sold."""
        top = actions.max(axis=1)
        return np.where(self.rules.bids[top] >= self.rules.reserve, top, self.n_bids)

    def step(self) -> None:
        """One period in every running auction: bid, sell to the highest bid, reveal."""
        M, n = self.n_markets, self.n_bidders
        playing = self._sessions_active & self._episode_active
        actions = self._actions.reshape(M, n)
        bids = self.rules.bids[actions]
        if self.tie_break == "random":
            won = winners(bids, self.rules.reserve, self.rng.random(M))
            payoffs = realised_payoffs(bids, won, self.rules)
        else:
            payoffs = expected_payoffs(bids, self.rules)
        payoffs = np.where(playing[:, None], payoffs, 0.0)
        revealed = self._revealed_after(actions)
        self.history[playing, 0] = actions[playing]
        self.revealed[playing] = revealed[playing]
        self._last_revenue = np.where(
            playing & (revealed < self.n_bids), self._revenue_of(actions), 0.0
        )
        next_obs = self._as_observation(self.revealed)

        truncated_m = np.zeros(M, dtype=bool)
        if self.max_episode_steps is not None:
            self.episode_steps += playing
            truncated_m = playing & (self.episode_steps >= self.max_episode_steps)
        obs = next_obs
        if truncated_m.any():
            if self.autoreset:
                self.revealed[truncated_m] = self.n_bids
                self.episode_steps[truncated_m] = 0
                obs = self._as_observation(self.revealed)
            else:
                self._episode_active &= ~truncated_m
        truncated = np.repeat(truncated_m, n) if truncated_m.any() else self._never
        self._last_payoffs = payoffs.ravel()
        self._outcome = RoleStep(obs, self._last_payoffs, self._never, truncated, next_obs)
        self.period += 1

    def _revenue_of(self, actions: np.ndarray) -> np.ndarray:
        """The seller's revenue from profiles ``[..., n]``: the price the winner pays.

        Tied winners bid alike, so they pay alike: revenue does not depend on who wins.
        """
        bids = self.rules.bids[actions]
        price = prices_paid(bids, self.rules.format, self.rules.reserve)
        return (win_shares(bids, self.rules.reserve) * price).sum(axis=-1)

    def initial_values(self, role: str, gamma: float) -> np.ndarray:
        """Calvano-style initial Q: the discounted expected payoff against uniform rivals.

        ``Q₀(s, a_i) = Σ_{a₋ᵢ} u_i(a_i, a₋ᵢ) / ((1 − γ) m^(n−1))`` in every state ``s``.

        Returns:
            ``float64[M·n, 1, m]`` (the same row in every state), for ``init="model"``.

        """
        self._check_role(role)
        if not 0.0 <= gamma < 1.0:
            raise ValueError(f"initial values need a discount factor gamma < 1, got {gamma}")
        if self.payoffs is None:
            raise ValueError(
                f"initial values need the payoff table, too large here ({self.n_bids}^"
                f"{self.n_bidders} profiles); use fewer bids or bidders"
            )
        n, m = self.n_bidders, self.n_bids
        rows = np.empty((n, m))
        for seat in range(n):
            table = self.payoffs[seat].reshape((m,) * n)  # axis n − 1 − j is bidder j
            others = tuple(ax for ax in range(n) if ax != n - 1 - seat)
            rows[seat] = table.mean(axis=others) / (1.0 - gamma)
        return np.tile(rows, (self.n_markets, 1))[:, None, :]

    def repeated_game(self) -> RepeatedGame | None:
        """Describe the auctions as repeated games for compiled Q-learning (see the contract).

        Only stateless auctions with shared ties are: a random tie-break makes the payoffs
        random, and a revealed winning bid is a state the game's linear state index (a
        weighted sum of the last bids) cannot express. The state weights are all zero: every
        bidder is always in state 0.
        """
        if (
            self.payoffs is None
            or self.tie_break != "share"
            or self.disclosure
            or self.max_episode_steps is not None
        ):
            return None
        n = self.n_bidders
        return RepeatedGame(
            role=ROLE,
            n_players=n,
            n_actions=self.n_bids,
            memory=1,
            payoffs=self.payoffs,
            history=self.history,
            state_weights=np.zeros((n, 1, n), dtype=np.int64),
            active=self._sessions_active,
            ended_at=self.ended_at,
            finish=self._after_compiled,
        )

    def _after_compiled(self, periods: int, last_rewards: np.ndarray) -> None:
        """Bring the counter, the revealed bids and the last outcome up to date."""
        self.period += periods
        self._last_payoffs = last_rewards.copy()
        actions = self.history[:, 0, :]
        self.revealed[:] = self._revealed_after(actions)
        self._last_revenue = np.where(self.revealed < self.n_bids, self._revenue_of(actions), 0.0)
        obs = self._as_observation(self.revealed)
        self._outcome = RoleStep(obs, self._last_payoffs, self._never, self._never, obs)

    # ------------------------------------------------------------------ reporters
    def last_bids(self) -> np.ndarray:
        """Last period's bids ``[M, n]`` (0 before the first period)."""
        return self.rules.bids[self.history[:, 0, :]]

    def last_payoffs(self) -> np.ndarray:
        """Last period's payoff of every bidder (``float64[M·n]``)."""
        return self._last_payoffs

    def metrics(self) -> dict[str, float]:
        """Mean bid ÷ value and winning bid, seller revenue, and the share of auctions done."""
        bids = self.last_bids()
        sold = self.revealed < self.n_bids
        winning = self.rules.bids[np.minimum(self.revealed, self.n_bids - 1)]
        return {
            "bid_ratio_mean": float((bids / self.rules.values).mean()),
            "winning_bid_mean": float(winning[sold].mean()) if sold.any() else float("nan"),
            "revenue_mean": float(self._last_revenue.mean()),
            **self.session_metrics(),
        }

    def agent_frame(self, role: str = ROLE) -> dict[str, np.ndarray]:
        """Per-bidder reporters: auction, seat, value, last bid and payoff, whether it plays."""
        self._check_role(role)
        n = self.n_bidders
        return {
            "market": np.repeat(np.arange(self.n_markets), n),
            "bidder": np.tile(np.arange(n), self.n_markets),
            "value": np.tile(self.rules.values, self.n_markets),
            "bid": self.last_bids().ravel(),
            "payoff": self._last_payoffs,
            "playing": self.active(role),
        }

    def final_tables(self, population: Any) -> dict[str, pd.DataFrame]:
        """The greedy bids the bidders learned, per auction (see :mod:`.final_tables`).

        ``markets``: one row per auction and bidder — its greedy bid (averaged over the cycle
        the greedy play settles in, from a start with nothing revealed), bid ÷ value, chance
        to win, expected surplus, and the auction's winning bid, revenue, cycle length,
        convergence and one-shot equilibrium benchmarks, and how a regulator would judge the
        strategies (Nash on the path, subgame perfect, punishment and the gain of a forced
        deviation, :mod:`.measures`), discounting with the learners' own γ; ``impulse`` and
        ``equilibrium`` beside it.
        """
        delta = common_discount(population, ROLE)
        greedy = population.greedy_policy(ROLE)

        def play(revealed: np.ndarray) -> np.ndarray:
            acts = np.asarray(greedy(self._as_observation(revealed)), dtype=np.int64)
            return acts.reshape(self.n_markets, self.n_bidders)

        return learned_bids(self, play, delta)

    def render_text(self) -> str:
        """Each auction's last bids, one line per auction (at most 20)."""
        return "\n".join(
            f"auction {k}: " + "  ".join(f"{b:.3f}" for b in row)
            for k, row in enumerate(self.last_bids()[:20])
        )


def _per_bidder(value: float | Sequence[float], n: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"values must be one number or one per bidder ({n}), got {list(arr)}")
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"values must be positive numbers, got {list(arr)}")
    return arr


def _check_counts(**counts: int) -> None:
    lowest = {"n_markets": 1, "n_bidders": 2, "deviation_periods": 1}
    for name, value in counts.items():
        if isinstance(value, bool) or int(value) != value or value < lowest[name]:
            raise ValueError(f"{name} must be an integer ≥ {lowest[name]}, got {value!r}")
