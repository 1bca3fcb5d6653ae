"""Populations: which learner drives which agents.

A population is a list of **groups**. A group is a learner plus the agents it drives: a whole
role, an explicit list of slots, or the agents whose attributes match a selector (e.g.
``{"slot": 0}`` for the first firm of every market). One model can thus host Q-learners beside
DQNs, or learners beside fixed strategies. Every agent of every role must belong to exactly one
group — a gap or an overlap is an error at bind time, not a silent default.

Each group's learner sees only its own agents, as one batch. How it learns from them follows
from what the model and the learner declare (:mod:`socialrl.capabilities`): from the played
transition (the default), from every action's counterfactual outcome
(:class:`~socialrl.capabilities.CounterfactualLearning`), or, where agents move in turn, from
the transitions between an agent's own moves (:mod:`socialrl.turns`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from socialrl.capabilities import (
    ActionMasks,
    CounterfactualLearning,
    CounterfactualOutcomes,
    Discounting,
    GameModel,
    MaskedActing,
    ModelInitialised,
    MultiPeriodLearning,
    RulesPlanning,
    TurnTaking,
)
from socialrl.contract import MultiAgentModel, RoleStep
from socialrl.learners.base import Learner
from socialrl.turns import TurnLedger

__all__ = ["Group", "Population"]

AgentSelector = Sequence[int] | np.ndarray | Mapping[str, Any] | None


@dataclass(eq=False)
class Group:
    """A learner and the agents it drives.

    Attributes:
        learner: The learner (or fixed policy) of the group.
        role: The role of its agents (None: the model's only role).
        agents: None (every agent of the role), slots ``[i, j, …]``, or an attribute selector
            ``{"attribute": value, …}`` matched against the role's Mesa agents.
        name: Label for diagnostics columns (default: the role, or ``role[k]`` for the k-th
            group of a role).

    """

    learner: Learner
    role: str | None = None
    agents: AgentSelector = None
    name: str | None = None


@dataclass(eq=False)
class _Bound:
    name: str
    role: str
    learner: Learner
    index: np.ndarray | None  # None: the whole role, in order (no gather/scatter needed)
    counterfactual: bool = False  # learns from every action's outcome (CounterfactualLearning)
    turns: TurnLedger | None = None  # agents move in turn: learns between its own moves


class Population:
    """Learners assigned to the agents of a model.

    Args:
        groups: ``{role: learner}`` (one learner per role), a list of :class:`Group`, or one
            learner for a single-role model.

    """

    def __init__(self, groups: Mapping[str, Learner] | Sequence[Group] | Learner) -> None:
        if isinstance(groups, Mapping):
            self.groups = [Group(learner=lrn, role=role) for role, lrn in groups.items()]
        elif isinstance(groups, Sequence):
            self.groups = list(groups)
        else:
            self.groups = [Group(learner=groups)]
        if not self.groups:
            raise ValueError("a population needs at least one group")
        self._bound: list[_Bound] = []
        self._by_role: dict[str, list[_Bound]] = {}
        self._sizes: dict[str, int] = {}
        #: The model, kept only where a group learns from its counterfactual outcomes.
        self._counterfactuals: CounterfactualOutcomes | None = None
        #: The model, kept only where agents move in turn (who moved is asked every step).
        self._turns: TurnTaking | None = None
        #: The model, kept only where moves are restricted (the legal ones asked every step).
        self._masks: ActionMasks | None = None

    # ------------------------------------------------------------------ binding
    def bind(self, model: MultiAgentModel, seed: np.random.SeedSequence) -> None:
        """Resolve every group's agents in ``model`` and bind its learner to them."""
        roles = model.roles
        self._counterfactuals = None
        self._turns = model if isinstance(model, TurnTaking) else None
        self._masks = model if isinstance(model, ActionMasks) else None
        seeds = seed.spawn(len(self.groups))
        bound: list[_Bound] = []
        owner: dict[str, np.ndarray] = {r: np.full(s.n_agents, -1) for r, s in roles.items()}
        for k, (group, group_seed) in enumerate(zip(self.groups, seeds, strict=True)):
            role = group.role
            if role is None:
                if len(roles) != 1:
                    raise ValueError(
                        f"group {k} names no role, but the model has roles {list(roles)}"
                    )
                role = next(iter(roles))
            if role not in roles:
                raise KeyError(f"group {k}: unknown role {role!r}; roles: {', '.join(roles)}")
            spec = roles[role]
            index = _select(model, role, spec.n_agents, group.agents, k)
            taken = owner[role][index]
            if (taken >= 0).any():
                clash = np.flatnonzero(taken >= 0)[:5]
                raise ValueError(
                    f"group {k} and group {int(taken[clash[0]])} both claim agents "
                    f"{index[clash].tolist()} of role {role!r}"
                )
            owner[role][index] = k
            whole = index.size == spec.n_agents and bool((index == np.arange(spec.n_agents)).all())
            name = group.name or (role if group.agents is None else f"{role}[{k}]")
            group.learner.bind(index.size, spec.observation_space, spec.action_space, group_seed)
            _give_rules(model, role, group.learner, name)
            counterfactual, turns = self._learning_mode(
                model, role, group.learner, name, index.size
            )
            if isinstance(group.learner, ModelInitialised):  # e.g. QLearning(init="model")
                group.learner.init_from_model(
                    model, role, None if index.size == spec.n_agents else index
                )
            slots = None if whole else index
            bound.append(_Bound(name, role, group.learner, slots, counterfactual, turns))
        for role, who in owner.items():
            if (who < 0).any():
                orphans = np.flatnonzero(who < 0)
                raise ValueError(
                    f"agents {orphans[:10].tolist()} of role {role!r} belong to no group "
                    f"({orphans.size} in all); give them a learner or a fixed policy"
                )
        self._bound = bound
        self._by_role = {role: [b for b in bound if b.role == role] for role in roles}
        self._sizes = {role: spec.n_agents for role, spec in roles.items()}

    def _check_masks(self, learner: Learner, name: str, model: MultiAgentModel) -> None:
        """Refuse, in one line, a learner that could play moves the model forbids."""
        if self._masks is not None and not isinstance(learner, MaskedActing):
            raise ValueError(
                f"group {name!r}: {type(model).__name__} forbids some moves (legal moves vary), "
                f"and {type(learner).__name__} cannot choose among legal moves only; use "
                "alphazero, mcts, random or one of the model's strategies"
            )

    def _learning_mode(
        self, model: MultiAgentModel, role: str, learner: Learner, name: str, n: int
    ) -> tuple[bool, TurnLedger | None]:
        """How a group learns: from counterfactual outcomes, or between its own moves.

        Refuses, in one line, what the model or the learner cannot do.
        """
        self._check_masks(learner, name, model)
        counterfactual = _wants_counterfactuals(learner)
        if counterfactual:
            if not isinstance(model, CounterfactualOutcomes):
                raise ValueError(
                    f"group {name!r} learns from counterfactual outcomes "
                    f"(update='counterfactual'), but {type(model).__name__} cannot compute "
                    "what unplayed actions would have brought; use update='played'"
                )
            model.counterfactual_outcomes(role)  # refuses, in one line, what it cannot do
            self._counterfactuals = model
        if self._turns is None or not learner.learns:
            return counterfactual, None
        if counterfactual:
            raise ValueError(
                f"group {name!r}: counterfactual updates are not defined where agents move in "
                "turn; use update='played'"
            )
        return counterfactual, _turn_ledger(learner, name, n, type(model).__name__)

    # ------------------------------------------------------------------ acting and learning
    def act(self, obs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Exploring actions for every role (among the legal moves, where the model says)."""
        if self._masks is not None:
            return self._gather(obs, _act_among_legal)
        return self._gather(obs, lambda lrn, o, _: lrn.act(o))

    def greedy(self, obs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Greedy actions for every role (no exploration, no state change)."""
        if self._masks is not None:
            return self._gather(obs, _greedy_among_legal)
        return self._gather(obs, lambda lrn, o, _: lrn.greedy(o))

    def greedy_policy(self, role: str) -> Callable[[np.ndarray], np.ndarray]:
        """The role's greedy policy as a function ``obs[n] → actions[n]``."""
        return lambda o: self.greedy({role: o})[role]

    def learn(
        self,
        obs: Mapping[str, np.ndarray],
        actions: Mapping[str, np.ndarray],
        outcome: Mapping[str, RoleStep],
        active: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Hand each group its agents' transitions; ``active`` masks agents that did not move."""
        for role, groups in self._by_role.items():
            out = outcome[role]
            mask = None if active is None else active.get(role)
            if self._counterfactuals is not None:
                self._learn_counterfactual(role, groups, obs, actions, out, mask)
            if self._turns is not None:
                self._learn_turns(role, groups, obs, actions, out, mask)
            for b in groups:
                i = b.index
                if b.counterfactual or b.turns is not None:
                    continue
                if i is None:
                    b.learner.learn(
                        obs[role],
                        actions[role],
                        out.reward,
                        out.next_obs,
                        out.terminated,
                        out.truncated,
                        mask,
                    )
                else:
                    b.learner.learn(
                        obs[role][i],
                        actions[role][i],
                        out.reward[i],
                        out.next_obs[i],
                        out.terminated[i],
                        out.truncated[i],
                        None if mask is None else mask[i],
                    )

    def _learn_counterfactual(
        self,
        role: str,
        groups: list[_Bound],
        obs: Mapping[str, np.ndarray],
        actions: Mapping[str, np.ndarray],
        out: RoleStep,
        mask: np.ndarray | None,
    ) -> None:
        """Hand the role's counterfactual learners what every action would have brought."""
        learners = [b for b in groups if b.counterfactual]
        if not learners:
            return
        assert self._counterfactuals is not None
        rewards, next_obs = self._counterfactuals.counterfactual_outcomes(role)
        for b in learners:
            learner = cast(CounterfactualLearning, b.learner)  # checked at bind
            i = slice(None) if b.index is None else b.index
            learner.learn_counterfactual(
                obs[role][i],
                actions[role][i],
                rewards[i],
                next_obs[i],
                out.terminated[i],
                None if mask is None else mask[i],
            )

    def _learn_turns(
        self,
        role: str,
        groups: list[_Bound],
        obs: Mapping[str, np.ndarray],
        actions: Mapping[str, np.ndarray],
        out: RoleStep,
        mask: np.ndarray | None,
    ) -> None:
        """Book the period in each group's ledger; hand over the transitions it closes."""
        assert self._turns is not None
        moved = self._turns.moved(role)
        if mask is not None:
            moved = moved & mask
        ending = bool(out.terminated.any() or out.truncated.any())
        for b in groups:
            if b.turns is None:
                continue
            i = slice(None) if b.index is None else b.index
            ended = (out.terminated[i], out.truncated[i], out.next_obs[i]) if ending else None
            learner = cast(MultiPeriodLearning, b.learner)  # checked at bind
            for tr in b.turns.record(
                obs[role][i], actions[role][i], moved[i], out.reward[i], ended
            ):
                learner.learn_over(
                    tr.obs, tr.actions, tr.returns, tr.next_obs, tr.periods, tr.terminated, tr.ready
                )

    def diagnostics(self) -> dict[str, float]:
        """Every learner's diagnostics, prefixed by its group name."""
        out: dict[str, float] = {}
        for b in self._bound:
            for key, value in b.learner.diagnostics().items():
                out[f"{b.name}_{key}"] = value
        return out

    @property
    def bound_groups(self) -> list[tuple[str, str, Learner, np.ndarray | None]]:
        """``(name, role, learner, slots or None for the whole role)`` per group."""
        return [(b.name, b.role, b.learner, b.index) for b in self._bound]

    def _gather(
        self,
        obs: Mapping[str, np.ndarray],
        fn: Callable[[Learner, np.ndarray, np.ndarray | None], np.ndarray],
    ) -> dict[str, np.ndarray]:
        """Each group's actions for its agents, with their legal moves where masked."""
        if not self._bound:
            raise RuntimeError("bind the population to a model before it acts")
        actions: dict[str, np.ndarray] = {}
        for role, groups in self._by_role.items():
            if role not in obs:
                continue  # e.g. one role's greedy policy
            legal = None if self._masks is None else self._masks.legal_actions(role)
            if len(groups) == 1 and groups[0].index is None:
                actions[role] = fn(groups[0].learner, obs[role], legal)
                continue
            batch = np.empty(self._sizes[role], dtype=np.int64)
            for b in groups:
                ok = None if legal is None else legal[b.index]
                batch[b.index] = fn(b.learner, obs[role][b.index], ok)
            actions[role] = batch
        return actions


def _select(
    model: MultiAgentModel, role: str, n_agents: int, selector: AgentSelector, k: int
) -> np.ndarray:
    """Slots of the agents a group selects."""
    if selector is None:
        return np.arange(n_agents)
    if isinstance(selector, Mapping):
        agents = list(model.role_agents(role))
        if not agents:
            raise ValueError(f"group {k}: role {role!r} has no agents to match {dict(selector)}")
        for attr in selector:
            if not hasattr(agents[0], attr):
                raise AttributeError(
                    f"group {k}: agents of role {role!r} have no attribute {attr!r}"
                )
        slots = [
            i
            for i, agent in enumerate(agents)
            if all(getattr(agent, attr) == value for attr, value in selector.items())
        ]
        if not slots:
            raise ValueError(f"group {k}: no agent of role {role!r} matches {dict(selector)}")
        return np.asarray(slots, dtype=np.int64)
    index = np.asarray(selector, dtype=np.int64).ravel()
    if index.size == 0:
        raise ValueError(f"group {k}: the agent list is empty")
    if index.min() < 0 or index.max() >= n_agents:
        raise ValueError(f"group {k}: agent slots must lie in [0, {n_agents}) for role {role!r}")
    if np.unique(index).size != index.size:
        raise ValueError(f"group {k}: agent slots repeat")
    return index


def _act_among_legal(learner: Learner, obs: np.ndarray, legal: np.ndarray | None) -> np.ndarray:
    """Exploring actions of a masked-acting learner (checked at bind) among ``legal``."""
    assert legal is not None
    return cast(MaskedActing, learner).act_masked(obs, legal)


def _greedy_among_legal(learner: Learner, obs: np.ndarray, legal: np.ndarray | None) -> np.ndarray:
    """Greedy actions of a masked-acting learner among ``legal``."""
    assert legal is not None
    return cast(MaskedActing, learner).greedy_masked(obs, legal)


def _give_rules(model: MultiAgentModel, role: str, learner: Learner, name: str) -> None:
    """Hand a planning learner the game's rules; refuse one in a model without rules."""
    if not isinstance(learner, RulesPlanning):
        return
    if not isinstance(model, GameModel):
        raise ValueError(
            f"group {name!r}: {type(learner).__name__} plans with a game's rules, and "
            f"{type(model).__name__} has none to give (a GameModel: board, bargaining)"
        )
    learner.use_rules(model.game_rules(role))


def _turn_ledger(learner: Learner, name: str, n: int, model: str) -> TurnLedger:
    """A ledger of the group's open transitions, or a one-line error for a learner without."""
    if not (isinstance(learner, MultiPeriodLearning) and isinstance(learner, Discounting)):
        raise ValueError(
            f"group {name!r}: in {model} agents move in turn, and {type(learner).__name__} "
            "cannot learn from transitions between its own moves; use q_learning"
        )
    return TurnLedger(n, learner.discount())


def _wants_counterfactuals(learner: Learner) -> bool:
    """Whether ``learner`` updates from every action's outcome (asked once per group)."""
    return isinstance(learner, CounterfactualLearning) and learner.wants_counterfactuals()
