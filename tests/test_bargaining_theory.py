"""The subgame-perfect equilibrium of alternating-offers bargaining: known answers.

Backward induction against a naive recursive solver written here, against answers derived by
hand (ultimatum: the proposer keeps ``N``, or ``N − 1`` with the strict tie rule; two rounds:
the opener keeps ``N − ⌈δ₁N⌉``), against Ståhl's finite and Rubinstein's infinite-horizon
shares within the derived grid bound, and the one-shot deviation principle at every position.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from socialrl_models.bargaining import (
    AlternatingOffers,
    exact_values,
    rubinstein_share,
    solve,
    spe_offer,
    spe_path,
    stahl_share,
)
from socialrl_models.bargaining.theory import grid_error_bound

pytestmark = pytest.mark.core


def _naive_spe(
    N: int, deltas: tuple[float, float], T: int, accept_ties: bool
) -> tuple[int, list[float]]:
    """A recursive solver written from the definition, for small games: (first offer, values)."""

    def proposing(t: int) -> tuple[int, list[float]]:
        p = t % 2
        best: tuple[int, list[float]] | None = None
        for x in range(N + 1):
            value = answering(t, x)
            if best is None or value[p] > best[1][p] + 1e-9:
                best = (x, value)
        assert best is not None
        return best

    def answering(t: int, x: int) -> list[float]:
        p, r = t % 2, 1 - t % 2
        agree = [0.0, 0.0]
        agree[p], agree[r] = deltas[p] ** t * x / N, deltas[r] ** t * (N - x) / N
        refuse = proposing(t + 1)[1] if t + 1 < T else [0.0, 0.0]
        if agree[r] > refuse[r] + 1e-9 or (accept_ties and agree[r] >= refuse[r] - 1e-9):
            return agree
        return refuse

    return proposing(0)


@pytest.mark.parametrize("ties", ["accept", "reject"])
@pytest.mark.parametrize(
    ("N", "delta", "T"),
    [(3, (0.9, 0.9), 3), (4, (0.5, 0.8), 4), (5, (0.7, 0.7), 2), (2, (1.0, 1.0), 3)],
)
def test_backward_induction_matches_a_naive_recursion(
    N: int, delta: tuple[float, float], T: int, ties: str
) -> None:
    rules = AlternatingOffers(pie=N, delta=delta, horizon=T)
    offer, values = _naive_spe(N, delta, T, ties == "accept")
    assert spe_offer(rules, 0, ties) == offer
    np.testing.assert_allclose(exact_values(rules, rules.initial(1), ties)[0], values)


@pytest.mark.parametrize("N", [1, 2, 7, 10, 100])
@pytest.mark.parametrize("delta", [0.3, 0.9, 1.0])
def test_the_ultimatum_proposer_keeps_all_or_all_but_one(N: int, delta: float) -> None:
    rules = AlternatingOffers(pie=N, delta=delta, horizon=1)
    assert spe_offer(rules) == N  # an indifferent responder accepts nothing
    assert spe_offer(rules, ties="reject") == N - 1  # the least that strictly beats nothing
    path = spe_path(rules)
    assert path.agreed and path.round == 0 and path.payoffs == (1.0, 0.0)


@pytest.mark.parametrize("N", [2, 3, 7, 10, 25])
@pytest.mark.parametrize(
    "delta1", [Fraction(1, 2), Fraction(7, 10), Fraction(9, 10), Fraction(2, 3)]
)
def test_two_rounds_by_hand(N: int, delta1: Fraction) -> None:
    """Round 1: player 1 keeps N (worth δ₁ now), so player 1 accepts x iff (N − x)/N ≥ δ₁.

    The opener keeps ``N − ⌈δ₁N⌉``; with the strict rule player 1 keeps ``N − 1`` in round 1,
    worth ``δ₁(N − 1)/N``, and accepts iff ``N − x > δ₁(N − 1)``: the opener keeps
    ``⌈N − δ₁(N − 1)⌉ − 1``. Exact fractions here; decimals δ in the solver.
    """
    rules = AlternatingOffers(pie=N, delta=(0.8, float(delta1)), horizon=2)
    assert spe_offer(rules) == N - math.ceil(delta1 * N)
    assert spe_offer(rules, ties="reject") == math.ceil(N - delta1 * (N - 1)) - 1
    assert spe_offer(rules, round=1) == N
    assert spe_path(rules).round == 0


def test_rubinstein_share_known_values() -> None:
    assert rubinstein_share(0.5) == pytest.approx(2 / 3)
    assert rubinstein_share(0.9) == pytest.approx(1 / 1.9)
    assert rubinstein_share((0.9, 0.6)) == pytest.approx(0.4 / 0.46)
    assert stahl_share(0.5, 1) == 1.0 and stahl_share(0.5, 2) == 0.5
    assert stahl_share(0.9, 10) == pytest.approx((1 - 0.9**10) / 1.9)
    with pytest.raises(ValueError, match="impatience"):
        rubinstein_share(1.0)


@pytest.mark.parametrize("delta", [0.5, 0.9, (0.9, 0.6)])
@pytest.mark.parametrize("N", [10, 100, 1000])
def test_ten_rounds_against_the_closed_forms(delta: float, N: int) -> None:
    rules = AlternatingOffers(pie=N, delta=delta, horizon=10)
    share = spe_offer(rules) / N
    assert abs(share - stahl_share(delta, 10)) <= grid_error_bound(rules)
    horizon = max(rules.deltas) ** 9
    assert abs(share - rubinstein_share(delta)) <= grid_error_bound(rules) + horizon


@pytest.mark.parametrize("delta", [0.5, 0.9, (0.9, 0.6)])
def test_the_grid_equilibrium_converges_to_rubinstein(delta: float) -> None:
    errors = []
    for N, T in [(10, 5), (100, 20), (1000, 60)]:
        rules = AlternatingOffers(pie=N, delta=delta, horizon=T)
        error = abs(spe_offer(rules) / N - rubinstein_share(delta))
        assert error <= grid_error_bound(rules) + max(rules.deltas) ** (T - 1)
        errors.append(error)
    assert errors[-1] < 0.01


@pytest.mark.parametrize("delta", [0.5, 0.8, 0.95, 0.99, (0.99, 0.5), (0.5, 0.99)])
def test_small_grids_agree_at_once_within_the_bound(delta: float) -> None:
    for N, T in np.ndindex(12, 11):
        rules = AlternatingOffers(pie=N + 1, delta=delta, horizon=T + 1)
        path = spe_path(rules)
        assert path.agreed and path.round == 0
        assert abs(path.keep / (N + 1) - stahl_share(delta, T + 1)) <= grid_error_bound(rules)


def test_a_coarse_grid_alternates_with_the_horizons_parity() -> None:
    """N = 10, δ = 0.9: the last proposer keeps 10; then 1, 9, 1, 9, … (module docstring)."""
    offers = [spe_offer(AlternatingOffers(pie=10, delta=0.9, horizon=T)) for T in range(1, 8)]
    assert offers == [10, 1, 9, 1, 9, 1, 9]


@pytest.mark.parametrize("ties", ["accept", "reject"])
def test_no_player_gains_by_deviating_once_anywhere(ties: str) -> None:
    """The one-shot deviation principle at every position in play: subgame perfection."""
    rules = AlternatingOffers(pie=6, delta=(0.8, 0.55), horizon=5)
    solution = solve(rules, ties)
    positions = rules.positions(np.arange(rules.n_states() - 1))
    own = exact_values(rules, positions, ties)[np.arange(positions.shape[0]), positions[:, 3]]
    legal = rules.legal(positions)
    for move in range(rules.n_actions()):
        rows = np.flatnonzero(legal[:, move])
        after = rules.play(positions[rows], np.full(rows.size, move))
        deviating = exact_values(rules, after, ties)[np.arange(rows.size), positions[rows, 3]]
        assert (deviating <= own[rows] + 1e-9).all()
    chosen = rules.play(positions, solution.policy[: positions.shape[0]])
    mover = positions[:, 3]
    np.testing.assert_allclose(
        exact_values(rules, chosen, ties)[np.arange(positions.shape[0]), mover], own
    )
