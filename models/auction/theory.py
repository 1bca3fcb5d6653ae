"""Sealed-bid auctions on a bid grid: allocation, payments, payoffs and one-shot benchmarks.

One item is sold to the highest bid at or above the reserve price ``r``; a tie among the
highest bids is broken uniformly at random. The winner pays its own bid (first price) or
``max(highest other bid, r)`` (second price, Vickrey 1961); a bidder's payoff is its value
minus the price if it wins, 0 otherwise. Everything is a pure function of arrays of grid
bids ``[..., n]`` so the model, the tests and the benchmarks share one definition.

The benchmarks are what Banchio & Skrzypacz (2022) compare the learned bids to: the pure
one-shot Nash equilibria on the grid (first price, common value 1 on a grid of step ``h``:
both bid 1, ``1 − h`` or ``1 − 2h`` — the competitive outcome a grid allows), and the
weak dominance of truthful bidding in the second-price auction, proved by enumeration.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FORMATS",
    "Auction",
    "bid_grid",
    "dominance_counterexamples",
    "expected_payoffs",
    "prices_paid",
    "pure_equilibria",
    "realised_payoffs",
    "second_price_truthful_is_dominant",
    "truthful_bid",
    "win_shares",
    "winners",
]

FORMATS = ("first", "second")

#: Joint bid profiles a benchmark enumerates at most (n 2 and m 101: 10,201).
MAX_PROFILES = 1 << 20


@dataclass(frozen=True)
class Auction:
    """The rules of one sealed-bid auction.

    Attributes:
        values: ``v_i`` of each bidder, ``float64[n]`` (Banchio & Skrzypacz: a common 1).
        bids: The bid grid, increasing, ``float64[m]``.
        format: ``"first"`` (pay your bid) or ``"second"`` (pay the highest other bid).
        reserve: ``r``: bids below it never win, and a second-price winner pays at least it.

    """

    values: np.ndarray
    bids: np.ndarray
    format: str = "first"
    reserve: float = 0.0

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be 'first' or 'second', got {self.format!r}")
        if not np.isfinite(self.reserve) or self.reserve < 0:
            raise ValueError(f"reserve must be a number ≥ 0, got {self.reserve!r}")
        if self.reserve > self.values.max():
            raise ValueError(
                f"reserve ({self.reserve:g}) is above every value (highest "
                f"{self.values.max():g}): no bidder would ever buy; lower it"
            )

    @property
    def n_bidders(self) -> int:
        """Bidders in the auction."""
        return int(self.values.shape[0])


def bid_grid(m: int | None, bids: Sequence[float] | None, top: float = 1.0) -> np.ndarray:
    """``m`` equally spaced bids on ``[0, top]``, or the given increasing bids ≥ 0."""
    if bids is not None:
        grid = np.asarray(bids, dtype=np.float64)
        if grid.ndim != 1 or grid.size < 2 or not np.all(np.diff(grid) > 0) or grid[0] < 0:
            raise ValueError(
                f"bids must be at least 2 increasing numbers ≥ 0, got {list(np.ravel(grid))}"
            )
        return grid
    if m is None or isinstance(m, bool) or int(m) != m or m < 2:
        raise ValueError(f"m (bids on the grid) must be an integer ≥ 2, got {m!r}")
    return np.linspace(0.0, top, int(m))


def win_shares(bids: np.ndarray, reserve: float) -> np.ndarray:
    """Each bidder's chance to win, ``[..., n]``: ``1/k`` for each of ``k`` tied top bids ≥ r."""
    top = bids.max(axis=-1, keepdims=True)
    leading = (bids == top) & (bids >= reserve)
    count = leading.sum(axis=-1, keepdims=True)
    return np.where(leading, 1.0 / np.maximum(count, 1), 0.0)


def winners(bids: np.ndarray, reserve: float, u: np.ndarray) -> np.ndarray:
    """The winner of each auction, ``int64[...]`` (−1: no bid reached the reserve).

    ``u`` (uniforms in [0, 1), one per auction) picks the ``⌊u k⌋``-th of the ``k`` tied
    highest bidders in seat order: each wins with probability ``1/k``, as
    :func:`win_shares` says.
    """
    shares = win_shares(bids, reserve)
    leading = shares > 0
    count = leading.sum(axis=-1)
    pick = np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
    rank = np.cumsum(leading, axis=-1) - 1  # position of each leader among the leaders
    chosen = leading & (rank == pick[..., None])
    return np.where(count > 0, chosen.argmax(axis=-1), -1)


def prices_paid(bids: np.ndarray, format: str, reserve: float) -> np.ndarray:
    """What each bidder would pay if it won, ``[..., n]``.

    First price: its own bid. Second price: ``max(highest other bid, r)`` — a tied winner
    pays its own (equal) bid.
    """
    if format == "first":
        return bids.astype(np.float64)
    n = bids.shape[-1]
    others = np.stack([np.delete(bids, i, axis=-1).max(axis=-1) for i in range(n)], axis=-1).astype(
        np.float64
    )
    return np.maximum(others, reserve)


def expected_payoffs(bids: np.ndarray, auction: Auction) -> np.ndarray:
    """``u_i = P(i wins) (v_i − p_i)``, ``[..., n]``: ties split in expectation."""
    surplus = auction.values - prices_paid(bids, auction.format, auction.reserve)
    return win_shares(bids, auction.reserve) * surplus


def realised_payoffs(bids: np.ndarray, winner: np.ndarray, auction: Auction) -> np.ndarray:
    """``v_i − p_i`` for the winner of each auction, 0 for everyone else, ``[..., n]``."""
    won = np.arange(bids.shape[-1]) == winner[..., None]
    surplus = auction.values - prices_paid(bids, auction.format, auction.reserve)
    return np.where(won, surplus, 0.0)


def _profiles(auction: Auction) -> np.ndarray:
    """Every joint grid profile ``[m^n, n]`` of bid indices (refused when too many)."""
    m, n = auction.bids.shape[0], auction.n_bidders
    if m**n > MAX_PROFILES:
        raise ValueError(f"m ** n_bidders = {m}^{n} profiles are too many to enumerate")
    return np.array(list(itertools.product(range(m), repeat=n)), dtype=np.int64)


def pure_equilibria(auction: Auction) -> np.ndarray:
    """Every pure one-shot Nash equilibrium on the grid, ``int64[k, n]`` bid indices.

    A profile is one when no bidder gains, in expectation over ties, by any other grid bid
    with the others' bids held fixed.
    """
    profiles = _profiles(auction)
    bids = auction.bids[profiles]
    now = expected_payoffs(bids, auction)
    stable = np.ones(len(profiles), dtype=bool)
    for i in range(auction.n_bidders):
        trial = np.repeat(bids[:, None, :], auction.bids.shape[0], axis=1)
        trial[:, :, i] = auction.bids
        best = expected_payoffs(trial, auction)[:, :, i].max(axis=1)
        stable &= best <= now[:, i] + 1e-12
    return profiles[stable]


def truthful_bid(auction: Auction, bidder: int) -> int:
    """The grid index of bidder ``bidder``'s value (a ValueError if its value is off grid)."""
    hit = np.flatnonzero(np.isclose(auction.bids, auction.values[bidder]))
    if hit.size == 0:
        raise ValueError(
            f"value of bidder {bidder} ({auction.values[bidder]:g}) is not on the bid grid: "
            "a truthful bid needs it there"
        )
    return int(hit[0])


def dominance_counterexamples(auction: Auction, bidder: int, bid: int) -> list[tuple[int, ...]]:
    """Where bid ``bid`` fails to weakly dominate bidder ``bidder``'s other grid bids.

    Weak dominance of ``b``: against every profile of the others' bids it earns at least as
    much as any other bid ``b'`` (in expectation over ties), and each ``b'`` does strictly
    worse against some profile. Returned: ``(b', *others' bids)`` for each profile where
    some ``b'`` earns more, then ``(b',)`` for each ``b'`` that is never strictly worse;
    empty when ``b`` is weakly dominant.
    """
    m, n = auction.bids.shape[0], auction.n_bidders
    others = list(itertools.product(range(m), repeat=n - 1))
    worse_somewhere = np.zeros(m, dtype=bool)
    worse_somewhere[bid] = True
    found: list[tuple[int, ...]] = []
    for rest in others:
        profile = np.empty((m, n), dtype=np.int64)
        profile[:, [j for j in range(n) if j != bidder]] = rest
        profile[:, bidder] = np.arange(m)
        u = expected_payoffs(auction.bids[profile], auction)[:, bidder]
        better = u > u[bid] + 1e-12
        found += [(int(b), *rest) for b in np.flatnonzero(better)]
        worse_somewhere |= u < u[bid] - 1e-12
    return found + [(int(b),) for b in np.flatnonzero(~worse_somewhere)]


def second_price_truthful_is_dominant(auction: Auction) -> bool:
    """Whether bidding one's value weakly dominates every other grid bid, for every bidder.

    Vickrey's theorem on the grid, checked by enumerating every bid of every bidder against
    every profile of the others' bids (:func:`dominance_counterexamples`); it holds for the
    second-price rules at any reserve up to the value, and fails for the first-price ones
    (shading below the value pays there).
    """
    return all(
        not dominance_counterexamples(auction, i, truthful_bid(auction, i))
        for i in range(auction.n_bidders)
    )
