"""Test-only learners for the study tests, named in specs by import path.

A study names them as ``learner = "tests.study_helpers:Exploding"``; the worker processes of
the local backend are forked from the test process, so they import this module the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from socialrl.learners.fixed import RandomPolicy

__all__ = [
    "SMALL_MAZE",
    "TINY_MAZE",
    "Diverging",
    "Exploding",
    "Killer",
    "pricing_study",
    "tiny_study",
    "toml_value",
    "write_toml",
]


class _Counting(RandomPolicy):
    """Random walker that counts its steps (``learn`` is called once per step).

    ``act`` is also called by the maze's policy report at every snapshot, so the step count,
    not the number of ``act`` calls, says how far a run has got. ``learns`` is True so that
    nothing skips ``learn`` for a fixed policy and the count stays right.
    """

    learns = True

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = int(after)
        self.steps = 0

    def learn(self, *args: Any, **kwargs: Any) -> None:
        """Count the step."""
        self.steps += 1

    def _due(self) -> bool:
        return self.steps >= self.after


class Exploding(_Counting):
    """Random walker that raises ``RuntimeError("boom")`` in ``act`` when ``explode`` is set.

    It raises from step ``after`` on (the local backend's two-step warm-up survives).
    """

    name = "exploding"

    def __init__(self, explode: bool = False, after: int = 5) -> None:
        super().__init__(after)
        self.explode = bool(explode)

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Random actions, until step ``after`` of an exploding learner."""
        if self.explode and self._due():
            raise RuntimeError("boom")
        return super().act(obs)


class Diverging(RandomPolicy):
    """Random walker whose diagnostics report an infinite loss when ``diverge`` is set."""

    name = "diverging"

    def __init__(self, diverge: bool = True) -> None:
        super().__init__()
        self.diverge = bool(diverge)

    def diagnostics(self) -> dict[str, float]:
        """An infinite loss (the run loop must call this a divergence)."""
        return {"loss": float("inf") if self.diverge else 0.0}


class Killer(_Counting):
    """Random walker that kills its whole process (``os._exit(3)``) when ``kill`` is set.

    It kills in ``act`` at step ``after``: with ``after`` above 2 the two-step warm-up that the
    local backend runs in the study process survives, and only a worker dies; with
    ``after = 0`` the first ``act`` kills.
    """

    name = "killer"

    def __init__(self, kill: bool = False, after: int = 5) -> None:
        super().__init__(after)
        self.kill = bool(kill)

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Random actions, or the death of the process."""
        if self.kill and self._due():
            os._exit(3)
        return super().act(obs)


#: A four-cell corridor: the shortest path is three moves.
TINY_MAZE = "S..G"

#: A 3 × 4 maze with one wall in the way: walkers reach the goal within a few dozen steps.
SMALL_MAZE = "S..#\n.#..\n...G"


def tiny_study(name: str = "tiny", **overrides: Any) -> dict[str, Any]:
    """Plain data of a small maze study (2 ε values × 2 seeds, 120 steps), to be overridden."""
    study: dict[str, Any] = {
        "name": name,
        "seed": 11,
        "replications": 2,
        "model": {
            "name": "maze",
            "params": {"layout": SMALL_MAZE, "n_walkers": 3, "max_episode_steps": 40},
        },
        "population": [{"role": "walker", "learner": "q_learning", "params": {"alpha": 0.5}}],
        "sweep": {"grid": {"population.walker.epsilon": [0.1, 0.5]}},
        "run": {"steps": 120, "record_every": 20, "snapshot_every": 60},
    }
    study.update(overrides)
    return study


def pricing_study(name: str, n_markets: int, seed: int, **overrides: Any) -> dict[str, Any]:
    """Plain data of a quick Calvano study: ``n_markets`` small markets (5 prices) × 2 seeds.

    Exploration decays fast (β = 5·10⁻³) and runs stop once stable for 200 periods, so a
    study takes a second or two; Q starts at Calvano's Q₀ (``init = "model"``).
    """
    study: dict[str, Any] = {
        "name": name,
        "seed": seed,
        "replications": 2,
        "model": {"name": "pricing", "params": {"n_markets": n_markets, "m": 5}},
        "population": [
            {
                "role": "firm",
                "learner": "q_learning",
                "params": {"epsilon": {"kind": "exponential", "beta": 5e-3}, "init": "model"},
            }
        ],
        "run": {"steps": 3000, "stop_when_stable": 200, "record_every": 200},
    }
    study.update(overrides)
    return study


def toml_value(value: Any) -> str:
    """A value as TOML text (inline tables and arrays; strings quoted as in JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"no TOML for {value!r}")


def write_toml(path: Path, study: dict[str, Any]) -> Path:
    """Write a study (plain data) as a TOML file, one top-level key per line."""
    path.write_text("".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in study.items()))
    return path
