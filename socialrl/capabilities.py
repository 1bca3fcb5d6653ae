"""Optional abilities of models and learners, declared as small protocols.

The contract (:mod:`socialrl.contract`) says what *every* model does and
:class:`~socialrl.learners.base.Learner` what every learner does. Beyond that, some models and
learners can do more, and the lab uses it where they can: a learner with Q tables can be drawn
as arrows over values, a learner that tracks its greedy policy can tell a run when to stop, a
model of repeated games can be played in compiled chunks. Each such ability is one protocol
here, so that

- a reader finds every optional hook in one file, with what it must return;
- the engine asks ``isinstance(learner, StabilityTracking)`` instead of probing names with
  ``getattr``/``hasattr`` (a typo then fails a contract test, not silently a feature);
- the contract tests (``tests/contracts.py``) exercise each ability a model or learner declares.

The protocols are ``runtime_checkable``: ``isinstance`` checks that the methods exist (not their
signatures), so every check is backed by a contract test that calls them. Only methods are
declared, never data attributes: Python 3.11 evaluates a property to answer ``isinstance``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from socialrl.contract import RepeatedGame

__all__ = [
    "EndOfRunTables",
    "InitialValues",
    "LearnedModel",
    "ModelInitialised",
    "PolicyReport",
    "RepeatedGames",
    "StabilityTracking",
    "TabularValues",
    "TextRendering",
]

GreedyPolicy = Callable[[np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------------- learners
@runtime_checkable
class StabilityTracking(Protocol):
    """A learner that knows how long each agent's greedy policy has stood still.

    Needed by ``stop_when_stable`` (Calvano et al.'s convergence rule: a session ends once
    every firm's greedy action in the visited state has been unchanged for K periods).
    """

    def stable_steps(self) -> np.ndarray:
        """Consecutive steps each agent's greedy action has been unchanged, ``int64[n]``."""
        ...


@runtime_checkable
class TabularValues(Protocol):
    """A learner whose knowledge is a table ``Q[tables, states, actions]``.

    Agents may share tables (``shared=True``: one table for the group), hence
    :meth:`table_of`. Views and analyses read values and greedy actions from here.
    """

    def q_values(self) -> np.ndarray:
        """The Q tables, ``float64[tables, states, actions]`` (the learner's own array)."""
        ...

    def table_of(self, agent: int) -> int:
        """The table that agent ``agent`` (a slot of the group) reads and writes."""
        ...

    def initial_q_values(self) -> np.ndarray:
        """The tables as they were before any update, shaped like :meth:`q_values`.

        Where a row still equals its start the learner has learned nothing about that state
        (it never visited it, or nothing it saw moved the value): views draw such states as
        unlearned rather than colouring the initial value as if it were knowledge.
        """
        ...


@runtime_checkable
class LearnedModel(Protocol):
    """A model-based learner (Dyna-Q) that can show the model of the world it believes in."""

    def learned_model(self, agent: int = 0) -> pd.DataFrame:
        """One row per (state, action) tried: next state, reward, terminated, visits."""
        ...


@runtime_checkable
class ModelInitialised(Protocol):
    """A learner that takes its initial values from the model (``QLearning(init="model")``)."""

    def init_from_model(self, model: Any, role: str, index: np.ndarray | None) -> None:
        """Initialise from ``model`` for ``role`` (``index``: the group's slots, or all)."""
        ...


# ------------------------------------------------------------------------------------ models
@runtime_checkable
class InitialValues(Protocol):
    """A model that proposes initial Q values (Calvano et al.'s Q₀ in the pricing market)."""

    def initial_values(self, role: str, gamma: float) -> np.ndarray:
        """Initial ``Q[states, actions]`` for ``role`` with discount ``gamma``."""
        ...


@runtime_checkable
class RepeatedGames(Protocol):
    """A session model that can describe itself as repeated games with a payoff table.

    Tabular Q-learner populations then play many periods per compiled call
    (:mod:`socialrl.run.repeated_game`), with results identical to the step loop's.
    """

    def repeated_game(self) -> RepeatedGame | None:
        """The description, or None where it does not hold (random demand, episodes, …)."""
        ...


@runtime_checkable
class EndOfRunTables(Protocol):
    """A model that writes extra tables at the end of a run (``markets``, ``policy``, …)."""

    def final_tables(self, population: Any) -> Mapping[str, pd.DataFrame]:
        """``{table name: DataFrame}``, stored beside ``steps``, ``episodes`` and ``agents``."""
        ...


@runtime_checkable
class PolicyReport(Protocol):
    """A model that evaluates the agents' greedy policies at every ``agents`` snapshot."""

    def policy_report(self, role: str, greedy: GreedyPolicy) -> dict[str, np.ndarray]:
        """Per-agent columns (e.g. the maze's greedy path length) for the snapshot."""
        ...


@runtime_checkable
class TextRendering(Protocol):
    """A model that can draw itself as text (``render_mode="ansi"``, ``socialrl`` demos)."""

    def render_text(self) -> str:
        """The current state as text."""
        ...
