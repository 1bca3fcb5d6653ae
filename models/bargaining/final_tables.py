"""The table a bargaining run writes at its end: how the players learned to bargain.

``agreements``: one row per game slot. Each game is replayed once from the start with the
population's greedy moves — what the players would do now, without exploring — and the round-0
responder is asked how it would answer *every* offer (its acceptance threshold: the
ultimatum literature's "minimum acceptable offer", here as the most the proposer may keep).
The subgame-perfect offer (:mod:`.theory`) stands beside it, under both tie rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from socialrl.games import check_legal, movers_moves

from .rules import AGREED, MOVER, OFFER, ROUND, STATUS, AlternatingOffers
from .theory import spe_offer

if TYPE_CHECKING:
    from .model import BargainingModel

__all__ = ["acceptance_threshold", "greedy_games", "greedy_moves"]


def greedy_moves(model: BargainingModel, population: Any, states: np.ndarray) -> np.ndarray:
    """The greedy move of the player to move in each game at ``states``, ``int64[G]``.

    Raises:
        IllegalMove: where a greedy policy picks a move the rules forbid.

    """
    role = next(iter(model.roles))
    with model.showing(states):
        actions = np.asarray(population.greedy({role: model.observe(role)})[role])
    moves = movers_moves(actions, np.maximum(states[:, MOVER], 0))
    on = ~model.rules.terminal(states)
    check_legal(model.rules.legal(states), moves, on, "bargaining game (greedy replay)")
    return np.where(on, moves, 0)


def acceptance_threshold(accepts: np.ndarray) -> np.ndarray:
    """The most units a proposer may keep and still have every smaller claim accepted.

    ``accepts[g, x]``: the responder of game ``g`` accepts "the proposer keeps ``x``". The
    threshold is the largest ``x`` with all of ``0 … x`` accepted; −1 where even ``x = 0`` is
    rejected. The subgame-perfect ultimatum responder accepts everything: ``N``.
    """
    refused = ~accepts
    first_refusal = np.where(refused.any(axis=1), np.argmax(refused, axis=1), accepts.shape[1])
    return (first_refusal - 1).astype(np.int64)


def _responder_answers(model: BargainingModel, population: Any) -> np.ndarray:
    """``bool[G, N + 1]``: whether each game's round-0 responder greedily accepts each offer."""
    rules, G = model.rules, model.n_games
    out = np.zeros((G, rules.pie + 1), dtype=bool)
    for x in range(rules.pie + 1):
        states = rules.play(rules.initial(G), np.full(G, x))
        out[:, x] = greedy_moves(model, population, states) == rules.accept
    return out


def _replay(model: BargainingModel, population: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each game played greedily from the start: ``(opening offers, final positions)``."""
    rules, G = model.rules, model.n_games
    states = rules.initial(G)
    opening = greedy_moves(model, population, states)
    states = rules.play(states, opening)
    for _ in range(2 * rules.horizon):
        if rules.terminal(states).all():
            break
        states = rules.play(states, greedy_moves(model, population, states))
    return opening, states


def greedy_games(model: BargainingModel, population: Any) -> pd.DataFrame:
    """The ``agreements`` table (module docstring): one greedy game per game slot."""
    rules: AlternatingOffers = model.rules
    N = rules.pie
    opening, end = _replay(model, population)
    agreed = end[:, STATUS] == AGREED
    payoffs = rules.payoffs(end)
    proposer = end[:, ROUND] % 2
    keep = np.where(agreed, end[:, OFFER], -1)
    share_0 = np.where(agreed, np.where(proposer == 0, keep, N - keep) / N, np.nan)
    accepts = _responder_answers(model, population)
    spe = spe_offer(rules, 0, "accept")
    return pd.DataFrame(
        {
            "game": np.arange(model.n_games),
            "first_offer": opening,
            "first_share": opening / N,
            "agreed": agreed,
            "round": end[:, ROUND],
            "agreed_round0": agreed & (end[:, ROUND] == 0),
            "keep": keep,
            "share_0": share_0,
            "payoff_0": payoffs[:, 0],
            "payoff_1": payoffs[:, 1],
            "accept_up_to": acceptance_threshold(accepts),
            "offers_accepted": accepts.sum(axis=1),
            "spe_offer": spe,
            "spe_offer_strict": spe_offer(rules, 0, "reject"),
            "offer_gap": opening - spe,
            "pie": N,
        }
    )
