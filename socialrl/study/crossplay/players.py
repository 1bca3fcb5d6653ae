"""Who takes part in cross-play: populations trained in a study's runs, and scripted strategies.

A **trained** player is one finished run: the learners its groups ended with, kept in the
run's folder (``learner_<k>.npz``, see :mod:`socialrl.study.store`), with the model and the
parameters it was trained in. Restored (:func:`restore`), it is the run's own population,
bound to the run's own model and loaded from those files, answering greedily for every agent
slot it trained. A **scripted** player is a strategy the registry builds by name
(``tit_for_tat``, ``win_stay_lose_shift``, ``fixed_action`` with ``action = 1`` for
always-defect, …): it has nothing to load.

Everything that can be wrong with a player is said in one line before any match is played:
a run that kept no learners (it finished before runs kept them: rerun it), a damaged file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from socialrl import registry
from socialrl.contract import RoleSpec
from socialrl.learners.base import Learner, load_state
from socialrl.mesa_compat import release_model
from socialrl.study.design import GroupConfig, build_population
from socialrl.study.league_spec import LEAGUE_LEARNER

__all__ = [
    "CrossPlayError",
    "Player",
    "Restored",
    "Scripted",
    "Trained",
    "World",
    "restore",
]


class CrossPlayError(ValueError):
    """Cross-play that cannot be done as asked; one line naming what and why."""


@dataclass(frozen=True)
class World:
    """Where the matches are played: a registered model (or import path) and its parameters."""

    model: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A text that tells two worlds apart (the parameters may hold lists and tables)."""
        return json.dumps([self.model, dict(self.params)], sort_keys=True, default=str)

    def build(self, seed: int | np.random.SeedSequence = 0) -> Any:
        """A fresh model of this world."""
        return registry.model_factory(self.model, self.params)(np.random.default_rng(seed))


@dataclass(frozen=True)
class Trained:
    """A population trained in one run of a study, as the run left it.

    Attributes:
        id: The run's id.
        label: How tables and charts name it (the swept values and the replication).
        cell: The design cell it belongs to (its study and sweep point): summaries pool the
            runs of a cell, which differ only by their seeds.
        world: The model and parameters it was trained in.
        groups: The run's groups (learner names and parameters, roles, agents).
        files: Each group's stored learner, in group order (empty: the run kept none).
        row: Its row of the study's runs table (point, replication, parameters), which
            ``KEY=VALUE`` selectors read.

    """

    id: str
    label: str
    cell: str
    world: World
    groups: tuple[GroupConfig, ...]
    files: tuple[Path, ...]
    row: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scripted:
    """A strategy built by the registry from its name and parameters (nothing trained).

    Attributes:
        name: A learner or strategy name (``tit_for_tat``, ``fixed_action``, …).
        params: Its parameters (``{"action": 1}``: always the second action, e.g. defect).

    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """``strategy:NAME[:k=v,…]``, the form the command line takes."""
        if not self.params:
            return f"strategy:{self.name}"
        shown = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(self.params.items()))
        return f"strategy:{self.name}:{shown}"

    @property
    def label(self) -> str:
        """``tit_for_tat`` or ``fixed_action(action=1)``."""
        if not self.params:
            return self.name
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.name}({shown})"

    @property
    def cell(self) -> str:
        """A strategy is its own cell."""
        return self.label

    def make(self) -> Learner:
        """A fresh instance (each seat of a match gets its own)."""
        try:
            learner: Learner = registry.make_learner(self.name, self.params)
        except (KeyError, TypeError, ValueError) as err:
            message = str(err.args[0]) if isinstance(err, KeyError) else str(err)
            raise CrossPlayError(f"strategy {self.label!r}: {message}") from None
        return learner


Player = Trained | Scripted


@dataclass(eq=False)
class Restored:
    """A trained population restored to play: its learners and who drives which agent slot.

    Attributes:
        player: The run it comes from.
        roles: The roles of the model it was trained in.
        learners: Each group's learner, bound as in the run and loaded from its file.
        group_of: Per role, the group driving each slot.
        row_of: Per role, each slot's row in its group's batch (the agent the learner knows).
        sizes: Each group's number of agents.

    """

    player: Trained
    roles: Mapping[str, RoleSpec]
    learners: list[Learner]
    group_of: dict[str, np.ndarray]
    row_of: dict[str, np.ndarray]
    sizes: list[int]


def restore(player: Trained) -> Restored:
    """Bind the run's population to a model of its world and load every group's learner.

    Raises:
        CrossPlayError: the run kept no learners, a file is missing, or a learner refuses
            its stored state.

    """
    _check_files(player)
    for group in player.groups:
        if group.learner == LEAGUE_LEARNER:
            raise CrossPlayError(
                f"run {player.id}: group {group.name!r} is a league opponent (frozen snapshots "
                "handed over by its run's league), which cannot play outside that run; "
                "cross-play studies without league groups"
            )
    model = player.world.build(0)
    try:
        population = build_population(player.groups)
        population.bind(model, np.random.SeedSequence(0))
        roles = dict(model.roles)
    finally:
        release_model(model)
    group_of = {role: np.full(spec.n_agents, -1, dtype=np.int64) for role, spec in roles.items()}
    row_of = {role: np.full(spec.n_agents, -1, dtype=np.int64) for role, spec in roles.items()}
    learners, sizes = [], []
    for k, (name, role, learner, slots) in enumerate(population.bound_groups):
        path = player.files[k]
        try:
            learner.load_state_dict(load_state(path))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
            raise CrossPlayError(
                f"run {player.id}: group {name!r} cannot load {path.name} "
                f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                "rerun the study with --fresh to store its learners again"
            ) from None
        index = np.arange(roles[role].n_agents) if slots is None else np.asarray(slots)
        group_of[role][index] = k
        row_of[role][index] = np.arange(index.size)
        learners.append(learner)
        sizes.append(int(index.size))
    return Restored(player, roles, learners, group_of, row_of, sizes)


def _check_files(player: Trained) -> None:
    """Refuse a run that kept no learners, or one whose learner files are gone."""
    if len(player.files) != len(player.groups):
        raise CrossPlayError(
            f"run {player.id} ({player.label}) has no stored learners: it finished before "
            "runs kept them; rerun the study with `socialrl run STUDY_FILE --fresh` to keep them"
        )
    for path in player.files:
        if not path.is_file():
            raise CrossPlayError(
                f"run {player.id}: {path.name} is missing; rerun the study to redo the run"
            )
