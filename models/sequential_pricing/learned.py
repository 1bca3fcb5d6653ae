"""What alternating firms learned: the outcome their greedy strategies reach.

Klein (2021) reads a session by where its learned strategies lead once exploration is gone:
from the last prices, the firms keep answering each other's price with their greedy price,
alternately. The state of that play — both prices and whose turn it is — takes at most
``2 m²`` values, so within ``2 m²`` periods every market is on a cycle, and one more pass of
at most ``2 m²`` periods measures it. A cycle whose prices never change is a *focal price*;
any other is a price *cycle* (Edgeworth cycles — undercutting step by step, then a jump back
up — among them); a policy that is not deterministic (a random one) reaches ``none``.
Profits are averaged over the cycle's periods, all markets at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["Cycle", "Play", "greedy_cycle", "state_code"]

#: ``(prices [M, 2], seat) → the mover's greedy price index [M]``.
Play = Callable[[np.ndarray, int], np.ndarray]


class Cycle(NamedTuple):
    """Each market's greedy cycle: ``pairs[t, k]`` the prices after period ``t`` of it.

    Attributes:
        pairs: ``int64[L, M, 2]``; market ``k``'s cycle is ``pairs[:length[k], k]``.
        length: ``int64[M]``, periods (0 where play never returned to its start).
        start: The prices the cycle starts from, ``int64[M, 2]``.
        first: The seat that moves in the cycle's first period.

    """

    pairs: np.ndarray
    length: np.ndarray
    start: np.ndarray
    first: int

    def mover(self, t: int) -> int:
        """The seat that moves in period ``t`` of the cycle."""
        return (self.first + t) % 2


def state_code(pairs: np.ndarray, next_seat: np.ndarray, m: int) -> np.ndarray:
    """``(p₀ · m + p₁) · 2 + next mover``: a number for a state of alternating play."""
    return (pairs[..., 0] * m + pairs[..., 1]) * 2 + next_seat


def greedy_cycle(price_index: np.ndarray, first: int, play: Play, m: int) -> Cycle:
    """The price pairs of each market's greedy cycle under alternating moves.

    Args:
        price_index: Current prices ``int64[M, 2]`` (not changed).
        first: The seat that moves next.
        play: The movers' greedy prices.
        m: Prices on the grid.

    Returns:
        The :class:`Cycle`: market ``k``'s cycle is the price pairs after each of its
        ``length[k]`` periods; ``length`` is 0 where play did not return to its start (only
        a policy that is not deterministic can fail to).

    """
    prices, seat = price_index.copy(), first
    bound = 2 * m * m
    for _ in range(bound):  # onto the cycle
        prices[:, seat] = play(prices, seat)
        seat = 1 - seat
    start, start_seat = prices.copy(), seat
    length = np.zeros(prices.shape[0], dtype=np.int64)
    pairs = []
    for t in range(1, bound + 1):
        prices[:, seat] = play(prices, seat)
        seat = 1 - seat
        pairs.append(prices.copy())
        back = (length == 0) & (seat == start_seat) & (prices == start).all(axis=1)
        length[back] = t
        if (length > 0).all():
            break
    return Cycle(np.stack(pairs), length, start, start_seat)
