"""Playing a seated match: greedy learners, no learning, explicit seeds; payoffs per unit.

A match is ``episodes`` fresh models of the world, each played for ``steps`` steps from its
own seed; every match of a cross-play uses the same seeds (common random numbers: two cells
of the matrix differ by who plays, not by the draws). Each side's payoff is the mean reward
per agent and step over the agents it holds, counted while they are inside an episode.

**The unit of analysis** is the episode, or in a batch of sessions (the pricing market's
markets) the session: sessions never interact, and each seats agents trained apart from
those of every other session, so each is an independent match (its episodes, which replay
the same agents from other starting states, are pooled into its one value).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from socialrl.envs.batched import MultiAgentEnv
from socialrl.population import Population
from socialrl.study.crossplay.players import CrossPlayError, World
from socialrl.study.crossplay.seating import Seating

__all__ = ["Schedule", "play_match"]


@dataclass(frozen=True)
class Schedule:
    """How long each match lasts, and its seeds.

    Attributes:
        episodes: Fresh models per match (the units of a model that is not a batch of
            sessions).
        steps: Steps played in each.
        seed: The seed every match's episodes are spawned from.

    """

    episodes: int = 10
    steps: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("episodes", "steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")


def play_match(
    world: World, seating: Seating, population: Population, schedule: Schedule
) -> pd.DataFrame:
    """Play the match; one row per unit (an episode, or a session over every episode).

    Returns:
        ``unit, focal_payoff, background_payoff``: the episode's index, or the session's.

    """
    env = MultiAgentEnv(world.model, world.params)
    sums: dict[bool, list[tuple[np.ndarray, np.ndarray]]] = {True: [], False: []}
    try:
        for seed in np.random.SeedSequence(schedule.seed).spawn(schedule.episodes):
            totals, counts = _episode(env, population, seed, schedule.steps)
            for focal, found in sums.items():
                found.append(_side_sums(seating, totals, counts, focal))
    finally:
        env.close()
    payoffs = {
        focal: _per_unit(found, seating.sessions is not None) for focal, found in sums.items()
    }
    return pd.DataFrame(
        {
            "unit": np.arange(payoffs[True].size),
            "focal_payoff": payoffs[True],
            "background_payoff": payoffs[False],
        }
    )


def _episode(
    env: MultiAgentEnv, population: Population, seed: np.random.SeedSequence, steps: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each slot's summed reward and its steps inside an episode, per role."""
    model_seed, population_seed = seed.spawn(2)
    obs = env.reset(model_seed)
    model = env.model
    assert model is not None
    try:
        population.bind(model, population_seed)
    except (TypeError, ValueError) as err:  # a strategy that cannot play these seats
        lines = str(err).splitlines()
        raise CrossPlayError(lines[0] if lines else type(err).__name__) from None
    totals = {role: np.zeros(spec.n_agents) for role, spec in model.roles.items()}
    counts = {role: np.zeros(spec.n_agents) for role, spec in model.roles.items()}
    for _ in range(steps):
        actions = population.greedy(obs)
        active = {role: np.asarray(model.active(role), dtype=bool) for role in model.roles}
        outcome = env.step(actions)
        for role, out in outcome.items():
            totals[role] += np.where(active[role], out.reward, 0.0)
            counts[role] += active[role]
        obs = {role: out.obs for role, out in outcome.items()}
    return totals, counts


def _side_sums(
    seating: Seating,
    totals: dict[str, np.ndarray],
    counts: dict[str, np.ndarray],
    focal: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """One side's summed reward and agent-steps, per session (one entry without sessions)."""
    reward, steps, unit = [], [], []
    for role, held in seating.focal.items():
        mine = held if focal else ~held
        reward.append(totals[role][mine])
        steps.append(counts[role][mine])
        sessions = seating.sessions[role][mine] if seating.sessions is not None else None
        unit.append(np.zeros(int(mine.sum()), dtype=np.int64) if sessions is None else sessions)
    ids = np.concatenate(unit)
    n = seating.n_sessions
    summed = np.bincount(ids, weights=np.concatenate(reward), minlength=n)
    return summed, np.bincount(ids, weights=np.concatenate(steps), minlength=n)


def _per_unit(sums: list[tuple[np.ndarray, np.ndarray]], sessions: bool) -> np.ndarray:
    """Mean reward per agent-step of each unit: each session over all episodes, or each episode.

    A session's episodes replay the same trained agents, so they are pooled into one value;
    without sessions the episodes are the units.
    """
    summed = np.stack([s for s, _ in sums])  # [episodes, sessions]
    played = np.stack([p for _, p in sums])
    if sessions:
        summed, played = summed.sum(axis=0), played.sum(axis=0)
    else:
        summed, played = summed[:, 0], played[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(played > 0, summed / played, np.nan)
