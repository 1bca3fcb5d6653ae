"""Revision rules: non-learning players whose next action the model computes.

Evolutionary game theory's players do not map an observation to an action; they *revise* by
looking at their neighbours — at their payoffs (imitation) or their actions (best response).
That information lives in the model, not in a learner's observation, so the model runs these
rules itself, for the players it assigns to them (``rules=`` of
:class:`~socialrl_models.coordination.model.CoordinationModel`); those players belong to no role
and need
no learner. Everyone else is a learning player of role ``player``.

* ``imitate_best`` — Nowak & May (1992): adopt the action of the top earner among yourself and
  your neighbours (well-mixed: your partner of the step);
* ``best_response`` — Kandori, Mailath & Rob (1993), Ellison (1993): play a best response to
  what your neighbours (well-mixed: everybody else) did last step.

Two knobs apply to both: ``revision_rate`` (the probability that a rule player revises in a
given step; 1 is Nowak & May's synchronous update, less breaks the blinking of synchronous
best response) and ``mutation`` (KMR's noise: a revising player picks a uniformly random action
with this probability). Both draw from the model's generator.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import kernels

__all__ = ["LEARNER", "RULES", "assign_rules", "parse_rules", "revise"]

LEARNER = "learner"
RULES = ("imitate_best", "best_response")


def parse_rules(rules: str | Mapping[str, float] | None) -> dict[str, float]:
    """``{rule: share of players}`` from ``None``/``"none"``, a rule name, or a mapping.

    Raises:
        ValueError: an unknown rule, a share outside [0, 1], or shares adding up to more than 1.

    """
    if rules is None or rules == "none":
        return {}
    table = {rules: 1.0} if isinstance(rules, str) else dict(rules)
    for name, share in table.items():
        if name not in RULES:
            raise ValueError(f"unknown rule {name!r} in rules; allowed: {', '.join(RULES)}")
        if not 0.0 <= float(share) <= 1.0:
            raise ValueError(f"rules: the share of {name!r} must lie in [0, 1], got {share!r}")
    if sum(table.values()) > 1.0 + 1e-12:
        raise ValueError(f"rules: shares add up to more than 1: {table}")
    return {name: float(share) for name, share in table.items()}


def assign_rules(rules: Mapping[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Each player's rule (``"learner"`` or a rule name), a random ``round(share · n)`` each."""
    kind = np.full(n, LEARNER, dtype=object)
    order = rng.permutation(n)
    start = 0
    for name, share in rules.items():
        count = round(share * n)
        kind[order[start : start + count]] = name
        start += count
    return kind


def revise(
    rule: str,
    who: np.ndarray,
    actions: np.ndarray,
    payoff: np.ndarray,
    side: np.ndarray,
    table: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    counts: np.ndarray,
    well_mixed: bool,
    out: np.ndarray,
    revision_rate: float,
    mutation: float,
    rng: np.random.Generator,
) -> None:
    """Write the next actions of the players ``who`` following ``rule`` into ``out``.

    Args:
        rule: ``"imitate_best"`` or ``"best_response"``.
        who: Indices of the players following the rule.
        actions: Everybody's actions of the step just played.
        payoff: Everybody's payoffs of that step.
        side: Everybody's side (asymmetric games).
        table: ``U[side, own, other]``.
        indptr: Neighbourhoods (CSR); for a well-mixed population the step's partners.
        indices: Neighbourhoods (CSR).
        counts: How many players chose each action.
        well_mixed: Best response answers everybody else (``counts``), not the neighbours.
        out: The next actions (only ``out[who]`` is written).
        revision_rate: Probability that a rule player revises now.
        mutation: Probability that a revising player picks a random action instead.
        rng: The model's generator.

    """
    if revision_rate < 1.0:
        who = who[rng.random(who.size) < revision_rate]
    if who.size == 0:
        return
    if rule == "imitate_best":
        kernels.imitate_best(actions, payoff, indptr, indices, who, out)
    elif well_mixed:
        kernels.best_response_to_counts(actions, side, table, counts, who, out)
    else:
        kernels.best_response(actions, side, table, indptr, indices, who, out)
    if mutation > 0:
        mutants = who[rng.random(who.size) < mutation]
        out[mutants] = rng.integers(table.shape[1], size=mutants.size)
