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
    from socialrl.games import GameRules

__all__ = [
    "ActionMasks",
    "CounterfactualLearning",
    "CounterfactualOutcomes",
    "Discounting",
    "EndOfRunTables",
    "GameModel",
    "InitialValues",
    "LearnedModel",
    "MaskedActing",
    "ModelInitialised",
    "MultiPeriodLearning",
    "PolicyReport",
    "RepeatedGames",
    "RulesPlanning",
    "StabilityTracking",
    "TabularValues",
    "TextRendering",
    "TurnTaking",
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


@runtime_checkable
class Discounting(Protocol):
    """A learner that discounts future rewards by a factor γ it can report.

    Models that judge learned strategies by their discounted value — the pricing market's
    best-response and deviation analysis (Calvano et al. 2020, Table 1) — use the learners' own
    γ, so sweeping ``population.firm.gamma`` moves the analysis with it.
    """

    def discount(self) -> float:
        """The discount factor γ ∈ [0, 1]."""
        ...


@runtime_checkable
class CounterfactualLearning(Protocol):
    """A learner that can update every action's value from what each would have earned.

    Asker, Fershtman & Pakes (2022) call it *synchronous* learning: a firm that knows its
    demand can compute the profit of every price it did not charge, and update them all.
    The population hands such a learner the model's :class:`CounterfactualOutcomes` instead of
    the played transition, and refuses, at bind time, a model that cannot compute them.
    """

    def wants_counterfactuals(self) -> bool:
        """Whether this learner, as configured, learns from counterfactual outcomes."""
        ...

    def learn_counterfactual(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """Update from ``rewards[n, A]`` and ``next_obs[n, A]`` (``actions``: those played)."""
        ...


@runtime_checkable
class MultiPeriodLearning(Protocol):
    """A learner that can learn from transitions spanning several periods.

    Where players move in turn, a player's transition runs from one of its moves to the next
    (a semi-Markov step, :mod:`socialrl.turns`): its return sums the discounted rewards of the
    periods in between, and the target bootstraps with ``γ^τ``. The population hands such
    transitions to learners of :class:`TurnTaking` models, and refuses other learners there.
    """

    def learn_over(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        returns: np.ndarray,
        next_obs: np.ndarray,
        periods: np.ndarray,
        terminated: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """Update from ``returns`` (discounted sums) and ``next_obs`` reached ``periods`` later."""
        ...


@runtime_checkable
class MaskedActing(Protocol):
    """A learner that chooses among the legal moves only.

    Where a model restricts moves (:class:`ActionMasks`: a full column, an offer already
    answered), the population hands such a learner the mask with the observations, and
    refuses, at bind time, a learner that could not respect it: an illegal move is never
    sampled, and one forced on the model is an error.
    """

    def act_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """Exploring actions ``int64[n]`` among ``legal`` (``bool[n, A]``).

        Rows without a legal move (agents that do not move now) get any action.
        """
        ...

    def greedy_masked(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """Greedy actions among ``legal`` (no exploration, no state change)."""
        ...


@runtime_checkable
class RulesPlanning(Protocol):
    """A learner that plans with the game's rules (tree search: MCTS, AlphaZero).

    The population hands it the rules of a :class:`GameModel` at bind time; its observations
    are then the positions themselves (rows the rules understand).
    """

    def use_rules(self, rules: GameRules) -> None:
        """Plan with ``rules`` from now on (called once, after ``bind``)."""
        ...


# ------------------------------------------------------------------------------------ models
@runtime_checkable
class ActionMasks(Protocol):
    """A model whose agents may not play every action everywhere (board games, bargaining)."""

    def legal_actions(self, role: str) -> np.ndarray:
        """``bool[n_agents, n_actions]``: the moves each agent may play now.

        An agent that does not move this step has none.
        """
        ...


@runtime_checkable
class GameModel(Protocol):
    """A model of turn-based games of perfect information whose rules a planner can simulate.

    Each agent's observation is the position of its game (a row the rules understand), so a
    search learner can plan from what it observes (:mod:`socialrl.games`).
    """

    def game_rules(self, role: str) -> GameRules:
        """The rules of the games that agents of ``role`` play."""
        ...


@runtime_checkable
class TurnTaking(Protocol):
    """A model whose agents move in turn: a step applies only some agents' actions.

    Klein's (2021) firms reprice alternately; a board game's players alternate. Every agent
    still gets a reward every step (a firm earns while its rival moves), but learns from its
    own moves only, over the periods between them (:mod:`socialrl.turns`).
    """

    def moved(self, role: str) -> np.ndarray:
        """``bool[n_agents]``: whose action the last ``step()`` applied."""
        ...


@runtime_checkable
class CounterfactualOutcomes(Protocol):
    """A model that can say what every action would have brought in the last step.

    For agent ``i`` and each of its actions ``a``, with everyone else's actions (and the
    period's random draws) as they were: the reward ``r_i(a, a₋ᵢ)`` and the observation it
    would have led to. The pricing market can (its demand gives every price's profit); a maze
    walker's model could, a human's cannot.
    """

    def counterfactual_outcomes(self, role: str) -> tuple[np.ndarray, np.ndarray]:
        """``(rewards float64[N, A], next_obs [N, A, …])`` of the last step, for ``role``.

        Raises ValueError, in one line, where the model's parameters leave them undefined
        (the population asks once at bind time, so such a run is refused before it starts).
        """
        ...


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
