"""Which frozen snapshot the learner faces next: latest, uniform (FSP) or prioritised (PFSP).

A learner trained only against its latest self can chase its own tail: in a game with cycles
(rock–paper–scissors, or strategies that beat each other in turn) each new policy beats the
last and forgets how to beat older ones. Fictitious play's answer is to respond to the
*average* of all past policies: Heinrich, Lanctot & Silver (2015, "Fictitious self-play in
extensive-form games") draw the opponent uniformly from every policy so far. AlphaStar's
league (Vinyals et al. 2019, Nature 575) prioritises instead: snapshot ``j`` is drawn with
probability proportional to ``f(p_j)``, where ``p_j`` is the learner's probability of beating
it and ``f_hard(p) = (1 − p)²`` focuses on the snapshots it still loses to, without wasting
games on those it beats anyway.

Every draw comes from an explicit ``numpy.random.Generator`` seeded from the run's seed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["choose_snapshot", "pfsp_weights", "win_probability"]


def win_probability(wins: np.ndarray, draws: np.ndarray, games: np.ndarray) -> np.ndarray:
    """``p_j``: the learner's chance to beat snapshot ``j``, a draw counting half.

    Laplace's rule of succession, ``(wins + draws / 2 + 1) / (games + 2)``: a snapshot never
    played yet has ``p = 1/2``, neither certainly beaten (weight 0, never drawn, so never
    measured) nor certainly lost to.
    """
    wins, draws, games = (np.asarray(x, dtype=np.float64) for x in (wins, draws, games))
    return (wins + 0.5 * draws + 1.0) / (games + 2.0)


def pfsp_weights(p: np.ndarray) -> np.ndarray:
    """PFSP's probabilities ``f(p_j) / Σ_k f(p_k)`` with ``f(p) = (1 − p)²`` (AlphaStar's f_hard).

    Where the learner beats every snapshot for sure (all weights 0) the draw is uniform.
    """
    weight = (1.0 - np.asarray(p, dtype=np.float64)) ** 2
    total = weight.sum()
    if not total > 0.0:
        return np.full(weight.size, 1.0 / weight.size)
    return weight / total


def choose_snapshot(choose: str, p: np.ndarray, rng: np.random.Generator) -> int:
    """The index of the snapshot to face next, among ``len(p)`` snapshots so far.

    Args:
        choose: ``"latest"``, ``"uniform"`` or ``"prioritised"``.
        p: The learner's estimated chance to beat each snapshot (used by ``"prioritised"``).
        rng: The league's generator (``"latest"`` draws nothing).

    """
    n = len(p)
    if n == 0:
        raise ValueError("there is no snapshot to choose from yet")
    if choose == "latest":
        return n - 1
    if choose == "uniform":
        return int(rng.integers(n))
    if choose == "prioritised":
        return int(rng.choice(n, p=pfsp_weights(p)))
    raise ValueError(f"choose must be 'latest', 'uniform' or 'prioritised', got {choose!r}")
