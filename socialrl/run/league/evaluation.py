"""Evaluation matches: frozen players in a model of their own, greedy, learning nothing.

A match rebuilds the run's world — the same model and parameters, the same groups on the same
agents — from a seed of its own, so that rating the learner never touches the training run's
model, generators or learners. Each group is played by an *entrant*: a fresh learner (built
from its class and hyperparameters, or from the registry for an anchor), bound to the group's
agents by a population like the run's, then loaded with a frozen state where it has one.
Everyone plays greedily (a random anchor stays random), and the games between the two paired
groups (:mod:`socialrl.run.league.games`) are the match's result.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialrl.envs.batched import MultiAgentEnv
from socialrl.learners.base import Learner
from socialrl.population import Group, Population
from socialrl.run.league.games import PairedGames

__all__ = ["Arena", "Entrant", "copy_state", "play_match"]


def copy_state(state: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A deep copy of a state dict: a snapshot must not change when its learner trains.

    Learners may hand out views of their live arrays (a network's weights as NumPy), which
    the next update would overwrite in place.
    """
    return {key: np.array(value, copy=True) for key, value in state.items()}


@dataclass(frozen=True)
class Entrant:
    """Who plays a group's agents in a match.

    Attributes:
        name: The player's name in the ratings.
        build: A fresh, unbound learner of the player's class and hyperparameters.
        state: The frozen state loaded after binding (None: the fresh learner as it is, e.g.
            a fixed strategy).

    """

    name: str
    build: Callable[[], Learner]
    state: Mapping[str, np.ndarray] | None = None

    @classmethod
    def frozen(cls, name: str, template: Learner, state: Mapping[str, np.ndarray]) -> Entrant:
        """A copy of ``template``'s class and hyperparameters, loaded with ``state``."""
        return cls(name, lambda: copy.deepcopy(template), state)


@dataclass(frozen=True)
class Arena:
    """The world matches are played in: the run's model and its groups' agents.

    Attributes:
        model: The model's registered name or class.
        params: Its parameters.
        groups: ``(name, role, slots or None for the whole role)`` of every group, in order.
        steps: Steps per match.

    """

    model: str | Callable[..., Any]
    params: Mapping[str, Any]
    groups: Sequence[tuple[str, str, np.ndarray | None]]
    steps: int


def play_match(
    arena: Arena,
    entrants: Sequence[Entrant],
    pair: tuple[int, int],
    seed: np.random.SeedSequence,
) -> np.ndarray:
    """Play one match; the results (+1/0/−1) of group ``pair[0]``'s games against ``pair[1]``.

    Args:
        arena: The world.
        entrants: One per group of ``arena.groups``.
        pair: The indices of the two groups whose games count (e.g. learner, opponent).
        seed: The match's seed (the same seed gives the same match: common random numbers
            across the opponents of one rating step).

    """
    model_seed, population_seed = _clone(seed).spawn(2)
    env = MultiAgentEnv(arena.model, arena.params)
    try:
        obs = env.reset(model_seed)
        world = env.model
        assert world is not None
        learners = [entrant.build() for entrant in entrants]
        groups = [
            Group(learner, role=role, agents=slots, name=name)
            for learner, (name, role, slots) in zip(learners, arena.groups, strict=True)
        ]
        population = Population(groups)
        population.bind(world, population_seed)
        for learner, entrant in zip(learners, entrants, strict=True):
            if entrant.state is not None:
                learner.load_state_dict(copy_state(entrant.state))
        (_, role, mine), (_, _, theirs) = (arena.groups[i] for i in pair)
        assert mine is not None and theirs is not None  # a pair of groups shares a role
        games = PairedGames(mine, theirs, fresh=True)
        for _ in range(arena.steps):
            outcome = env.step(population.greedy(obs))
            out = outcome[role]
            games.add(out.reward, out.terminated | out.truncated)
            obs = {r: o.obs for r, o in outcome.items()}
        return games.close()
    finally:
        env.close()


def _clone(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """A copy of ``seed`` that has spawned nothing yet (spawning is stateful)."""
    return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
