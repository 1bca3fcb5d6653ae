"""Exploration schedules: ε as a function of the learner's step count ``t``.

Each schedule is a frozen dataclass with a ``__call__(t) -> float`` so that a configuration is
plain data (comparable, printable, writable to a study manifest), and a ``values(t0, n)`` that
gives ``n`` consecutive values at once (compiled loops that run many periods per call take
them as an array; ``__call__`` is defined through it, so both agree to the last bit). ``t``
counts the learner's ``act`` calls, i.e. periods of the simulation, as in Calvano et al.
(2020), where ``ε_t = exp(−β t)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Constant",
    "Exponential",
    "Linear",
    "Schedule",
    "VectorizedSchedule",
    "as_schedule",
    "schedule_values",
]


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")


@runtime_checkable
class Schedule(Protocol):
    """Anything that maps a step count to a probability."""

    def __call__(self, t: int) -> float:
        """ε at step ``t``."""
        ...


@runtime_checkable
class VectorizedSchedule(Schedule, Protocol):
    """A schedule that also gives many consecutive values at once (all schedules here do).

    A user's own schedule may be a plain callable; :func:`schedule_values` then calls it once
    per step.
    """

    def values(self, t0: int, n: int) -> np.ndarray:
        """ε at steps ``t0 … t0 + n − 1``."""
        ...


@dataclass(frozen=True)
class Constant:
    """ε_t = value."""

    value: float

    def __post_init__(self) -> None:
        _check_probability("epsilon", self.value)

    def __call__(self, t: int) -> float:
        """ε at step ``t``."""
        return self.value

    def values(self, t0: int, n: int) -> np.ndarray:
        """ε at steps ``t0 … t0 + n − 1``."""
        return np.full(n, self.value)


@dataclass(frozen=True)
class Linear:
    """ε falls linearly from ``start`` to ``end`` over ``steps`` steps, then stays at ``end``."""

    start: float = 1.0
    end: float = 0.05
    steps: int = 10_000

    def __post_init__(self) -> None:
        _check_probability("epsilon start", self.start)
        _check_probability("epsilon end", self.end)
        if self.steps < 1:
            raise ValueError(f"epsilon steps must be ≥ 1, got {self.steps!r}")

    def __call__(self, t: int) -> float:
        """ε at step ``t``."""
        return float(self.values(t, 1)[0])

    def values(self, t0: int, n: int) -> np.ndarray:
        """ε at steps ``t0 … t0 + n − 1``."""
        frac = np.minimum(np.arange(t0, t0 + n) / self.steps, 1.0)
        return self.start + frac * (self.end - self.start)


@dataclass(frozen=True)
class Exponential:
    """ε_t = max(floor, start · exp(−β t)) (Calvano et al. 2020 use start 1, floor 0)."""

    beta: float
    start: float = 1.0
    floor: float = 0.0

    def __post_init__(self) -> None:
        _check_probability("epsilon start", self.start)
        _check_probability("epsilon floor", self.floor)
        if self.beta < 0 or math.isnan(self.beta):
            raise ValueError(f"epsilon beta must be ≥ 0, got {self.beta!r}")

    def __call__(self, t: int) -> float:
        """ε at step ``t``."""
        return float(self.values(t, 1)[0])

    def values(self, t0: int, n: int) -> np.ndarray:
        """ε at steps ``t0 … t0 + n − 1``."""
        steps = np.arange(t0, t0 + n, dtype=np.float64)
        return np.maximum(self.floor, self.start * np.exp(-self.beta * steps))


_KINDS: dict[str, type] = {"constant": Constant, "linear": Linear, "exponential": Exponential}


def as_schedule(spec: float | Schedule | Mapping[str, Any]) -> Schedule:
    """Build a schedule from a number, a schedule, or a mapping such as a TOML table.

    Examples: ``0.1`` → ``Constant(0.1)``; ``{"kind": "exponential", "beta": 4e-6}``.

    Raises:
        ValueError: for an unknown ``kind`` (listing the allowed ones) or bad values.

    """
    if isinstance(spec, bool):
        raise TypeError(f"epsilon must be a number, a schedule or a table, got {spec!r}")
    if isinstance(spec, int | float):
        return Constant(float(spec))
    if isinstance(spec, Mapping):
        params = dict(spec)
        kind = params.pop("kind", None)
        if kind not in _KINDS:
            raise ValueError(f"epsilon kind must be one of {sorted(_KINDS)}, got {kind!r}")
        try:
            return _KINDS[kind](**params)
        except TypeError as err:
            raise ValueError(f"epsilon schedule '{kind}': {err}") from None
    if callable(spec):
        return spec
    raise TypeError(f"epsilon must be a number, a schedule or a table, got {spec!r}")


def schedule_values(schedule: Schedule, t0: int, n: int) -> np.ndarray:
    """``n`` consecutive values of any schedule (its ``values`` method, or one call per step)."""
    if isinstance(schedule, VectorizedSchedule):
        return np.asarray(schedule.values(t0, n), dtype=np.float64)
    return np.array([schedule(t) for t in range(t0, t0 + n)], dtype=np.float64)
