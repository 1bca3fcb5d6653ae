"""Seating a match: which agent slots the focal population holds, and who drives the rest.

The focal population holds one set of slots, the background the others (Melting Pot's focal
and background players). By default:

* in a model of several roles the focal holds the first role, the background the others;
* in a batch of sessions (:class:`~socialrl.contract.SessionModel`: the pricing market's
  markets) the focal holds the first seat of every session (firm 0), the background the
  other seats;
* otherwise the even slots: the first member of each pair of a ``pairs`` graph, one side of
  a two-population game.

A trained population drives its seats with its own learners (:class:`Routed`): the learner of
the group that trained slot ``k`` answers for slot ``k``, as the agent it knows. In a batch of
sessions the background may come from other sessions: with ``shift = s`` the background of
session ``i`` is the one trained in session ``i + s`` (mod the number of sessions), so a firm
meets a rival it never met in training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from socialrl.contract import MultiAgentModel, RoleSpec, SessionModel
from socialrl.learners.base import Learner
from socialrl.population import Group, Population
from socialrl.study.crossplay.players import CrossPlayError, Restored, Scripted

__all__ = [
    "Routed",
    "Seating",
    "check_compatible",
    "seat_population",
    "seating",
]

#: Slots ``[0, 2, …]`` or an attribute selector ``{"side": 0}``, as a study's groups take.
AgentSelector = Sequence[int] | Mapping[str, Any]


@dataclass(frozen=True)
class Seating:
    """The focal's slots of each role, and each slot's session and seat in a batch of sessions.

    Attributes:
        roles: The model's roles.
        focal: Per role, ``bool[n_agents]``: the slots the focal population holds.
        sessions: Per role, each slot's session (None: the model is not a batch of sessions).
        seats: Per role, each slot's seat within its session (None likewise).

    """

    roles: Mapping[str, RoleSpec]
    focal: Mapping[str, np.ndarray]
    sessions: Mapping[str, np.ndarray] | None
    seats: Mapping[str, np.ndarray] | None

    @property
    def n_sessions(self) -> int:
        """Sessions in the model (1 where it is not a batch of sessions)."""
        if self.sessions is None:
            return 1
        return int(max(int(s.max(initial=-1)) for s in self.sessions.values()) + 1)

    def source_slots(self, role: str, slots: np.ndarray, shift: int) -> np.ndarray:
        """The slots of the trained population that drive ``slots`` with sessions shifted."""
        if shift == 0 or self.sessions is None or self.seats is None:
            return slots
        sessions, seats = self.sessions[role], self.seats[role]
        at = np.full((self.n_sessions, int(seats.max(initial=0)) + 1), -1, dtype=np.int64)
        at[sessions, seats] = np.arange(sessions.size)
        return at[(sessions[slots] + shift) % self.n_sessions, seats[slots]]


def seating(
    model: MultiAgentModel, role: str | None = None, agents: AgentSelector | None = None
) -> Seating:
    """Where the focal sits in ``model``: the default rule, or ``role`` (and ``agents`` in it).

    Raises:
        CrossPlayError: an unknown role, a selector matching no agent or every agent.

    """
    roles = dict(model.roles)
    sessions = seats = None
    if isinstance(model, SessionModel):
        sessions = {r: np.asarray(model.session_ids(r), dtype=np.int64) for r in roles}
        seats = {r: _seats(s) for r, s in sessions.items()}
    if role is not None and role not in roles:
        raise CrossPlayError(f"focal role {role!r} is not a role of the model: {', '.join(roles)}")
    first = role or next(iter(roles))
    focal = {r: np.zeros(spec.n_agents, dtype=bool) for r, spec in roles.items()}
    if agents is not None:
        focal[first][_select(model, first, agents)] = True
    elif len(roles) > 1 or role is not None:
        focal[first][:] = True
    elif seats is not None:
        focal[first] = seats[first] == 0
    else:
        focal[first][0::2] = True
    held = sum(int(f.sum()) for f in focal.values())
    if held == 0 or held == sum(spec.n_agents for spec in roles.values()):
        raise CrossPlayError(
            f"the focal population must hold some agents and leave others to the background; "
            f"role {first!r}, agents {agents!r} holds {held}"
        )
    return Seating(roles, focal, sessions, seats)


def _seats(sessions: np.ndarray) -> np.ndarray:
    """Each slot's rank among the slots of its session (its seat)."""
    order = np.argsort(sessions, kind="stable")
    first = np.searchsorted(sessions[order], sessions[order])
    seats = np.empty_like(sessions)
    seats[order] = np.arange(sessions.size) - first
    return seats


def _select(model: MultiAgentModel, role: str, agents: AgentSelector) -> np.ndarray:
    """Slots of ``role`` given as a list, or the agents whose attributes match a mapping."""
    n = model.roles[role].n_agents
    if isinstance(agents, Mapping):
        found = [
            i
            for i, agent in enumerate(model.role_agents(role))
            if all(getattr(agent, key, _MISSING) == value for key, value in agents.items())
        ]
        return np.asarray(found, dtype=np.int64)
    slots = np.asarray(list(agents), dtype=np.int64)
    if slots.size and (slots.min() < 0 or slots.max() >= n):
        raise CrossPlayError(f"focal agents {list(agents)} must lie in [0, {n}) for role {role!r}")
    return slots


_MISSING = object()


def check_compatible(seating: Seating, restored: Restored, focal_label: str) -> None:
    """Refuse, in one line, a trained population whose roles differ from the match's model.

    Raises:
        CrossPlayError: naming both populations and what differs (roles, agents, spaces).

    """
    here, there = seating.roles, restored.roles
    problem = None
    if list(here) != list(there):
        problem = f"roles {list(here)} vs {list(there)}"
    else:
        for role, spec in here.items():
            other = there[role]
            if spec.n_agents != other.n_agents:
                problem = f"role {role!r} has {spec.n_agents} agents vs {other.n_agents}"
            elif spec.observation_space != other.observation_space:
                problem = (
                    f"role {role!r} observes {spec.observation_space} vs {other.observation_space}"
                )
            elif spec.action_space != other.action_space:
                problem = f"role {role!r} acts in {spec.action_space} vs {other.action_space}"
            if problem:
                break
    if problem:
        raise CrossPlayError(
            f"cannot cross-play {focal_label!r} with {restored.player.label!r} "
            f"(run {restored.player.id}): {problem}"
        )


class Routed:
    """A trained group's learner answering for slots of another model as agents it knows.

    Bound to the match's slots, it hands the learner a batch of the learner's own size with
    each slot's observation at the row of the agent that slot is played by (the other rows
    repeat a valid observation; their answers are dropped) and returns those rows' greedy
    actions. It never learns and never explores: cross-play evaluates.
    """

    learns = False

    def __init__(self, learner: Learner, rows: np.ndarray, size: int) -> None:
        self.learner, self.rows, self.size = learner, np.asarray(rows, dtype=np.int64), size

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Check the seats are the ones routed (the learner itself stays as it was loaded)."""
        if n_agents != self.rows.size:
            raise ValueError(f"routed {self.rows.size} agents, bound to {n_agents}")

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """The learner's greedy actions of the routed agents."""
        batch = np.repeat(obs[:1], self.size, axis=0)
        batch[self.rows] = obs
        return np.asarray(self.learner.greedy(batch), dtype=np.int64)[self.rows]

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Greedy too: cross-play does not explore."""
        return self.greedy(obs)

    def learn(self, *args: Any, **kwargs: Any) -> None:
        """Cross-play does not learn."""

    def diagnostics(self) -> dict[str, float]:
        """Nothing to report."""
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Nothing of its own: the learner's state is the stored one."""
        return {}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Nothing of its own to restore."""


Side = Restored | Scripted


def seat_population(seating: Seating, focal: Side, background: Side, shift: int) -> Population:
    """The match's population: the focal on its slots, the background (shifted) on the rest."""
    groups: list[Group] = []
    for role, held in seating.focal.items():
        for side, slots, moved in (
            (focal, np.flatnonzero(held), 0),
            (background, np.flatnonzero(~held), shift),
        ):
            if slots.size:
                groups.extend(_groups(seating, role, side, slots, moved))
    return Population(groups)


def _groups(seating: Seating, role: str, side: Side, slots: np.ndarray, shift: int) -> list[Group]:
    """The groups that drive ``slots`` of ``role`` for one side of the match."""
    if isinstance(side, Scripted):
        return [Group(side.make(), role=role, agents=slots.tolist())]
    source = seating.source_slots(role, slots, shift)
    owners = side.group_of[role][source]
    return [
        Group(
            Routed(side.learners[k], side.row_of[role][source[owners == k]], side.sizes[k]),
            role=role,
            agents=slots[owners == k].tolist(),
        )
        for k in np.unique(owners).tolist()
    ]
