"""The learner protocol that every algorithm family implements.

A learner serves a *group* of agents — a whole role or a subset of it — and always works on
batches: ``act`` maps observations ``[n, ...]`` to actions ``[n]``; ``learn`` takes the batch of
transitions of one step. Whether the group shares one table/network or holds one per agent is
the learner's business, hidden behind the same calls.

Learners are built from their hyperparameters first and *bound* to a group later, when the
population meets the model and the group's size and spaces are known. Binding takes a
``numpy.random.SeedSequence``: each learner draws from its own generator, spawned from the
run's one seed.

Checkpoints are plain ``.npz`` archives of :meth:`Learner.state_dict` (loaded with
``allow_pickle=False``): safe to share, readable from any language with NumPy support.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

__all__ = [
    "Checkpointing",
    "Learner",
    "load_state",
    "rng_state_array",
    "save_state",
    "set_rng_state",
]


@runtime_checkable
class Learner(Protocol):
    """A batched decision maker for a group of agents.

    Attributes:
        learns: Whether :meth:`learn` changes anything. Fixed policies say False: they are
            trivially stable, so stopping rules and learned-table views skip them.

    """

    learns: bool

    def bind(
        self,
        n_agents: int,
        observation_space: gym.Space[Any],
        action_space: gym.spaces.Discrete,
        seed: np.random.SeedSequence,
    ) -> None:
        """Allocate state for ``n_agents`` agents with these spaces; reset everything."""
        ...

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Actions ``int64[n]`` for observations ``[n, ...]``, exploring as configured."""
        ...

    def greedy(self, obs: np.ndarray) -> np.ndarray:
        """Deterministic greedy actions (no exploration, no state change)."""
        ...

    def learn(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray | None = None,
        mask: np.ndarray | None = None,
    ) -> None:
        """Update from one step's transitions.

        Args:
            obs: What each agent saw, ``[n, ...]``.
            actions: What each did, ``[n]``.
            reward: What each got, ``[n]``.
            next_obs: Where each transition led, before any autoreset (bootstrap from it).
            terminated: The transition entered a terminal state (no bootstrap).
            truncated: The agent's episode was cut by a time limit (it ends, but bootstrap).
                None means no truncation.
            mask: Agents that actually moved (False: ignore the agent this step).

        """
        ...

    def diagnostics(self) -> dict[str, float]:
        """Scalars worth recording (ε, TD error, loss, …)."""
        ...

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to continue exactly where the learner stands."""
        ...

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a :meth:`state_dict` (the learner must be bound to the same shapes)."""
        ...


class Checkpointing:
    """``save``/``load`` for any learner with ``state_dict``/``load_state_dict``."""

    def state_dict(self) -> dict[str, np.ndarray]:  # pragma: no cover - every learner has one
        """Everything needed to continue exactly where the learner stands."""
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:  # pragma: no cover
        """Restore a :meth:`state_dict`."""
        raise NotImplementedError

    def save(self, path: str | Path) -> Path:
        """Write a ``.npz`` checkpoint (no pickle)."""
        return save_state(path, self.state_dict())

    def load(self, path: str | Path) -> None:
        """Read a checkpoint written by :meth:`save`."""
        self.load_state_dict(load_state(path))


def save_state(path: str | Path, state: dict[str, np.ndarray]) -> Path:
    """Write a state dict to ``path`` (``.npz``) atomically (temp file + rename)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **state)  # type: ignore[arg-type]
    tmp.replace(path)
    return path


def load_state(path: str | Path) -> dict[str, np.ndarray]:
    """Read a state dict written by :func:`save_state` (never unpickles anything)."""
    with np.load(Path(path), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def rng_state_array(rng: np.random.Generator) -> np.ndarray:
    """A generator's state as a 0-d string array (JSON), storable in ``.npz``."""
    return np.array(json.dumps(rng.bit_generator.state))


def set_rng_state(rng: np.random.Generator, state: np.ndarray) -> None:
    """Restore a generator's state saved by :func:`rng_state_array`."""
    rng.bit_generator.state = json.loads(str(state))
