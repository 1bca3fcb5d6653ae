"""The study spec: what a researcher writes, in TOML or Python — one schema for both.

A study is a model, a population, a sweep over parameters, replications and a run length.
In TOML::

    name = "maze_learning"
    seed = 2024
    replications = 20

    [model]
    name = "maze"
    params = { n_walkers = 10, max_episode_steps = 500 }

    [[population]]
    role = "walker"
    learner = "q_learning"
    params = { alpha = 0.5, gamma = 0.95 }

    [sweep.grid]
    "model.layout" = ["dyna", "lecture"]
    "population.walker.epsilon" = [0.1, { kind = "linear", start = 1.0, end = 0.05, steps = 3000 }]

    [run]
    steps = 6000
    snapshot_every = 250

In Python the same classes are built directly (``StudySpec(name=..., model=ModelSpec(...),
...)``) and the file defines ``study``. Sweep keys are dotted paths: ``model.<param>``,
``population.<group>.<param>`` (a group is named by ``name``, else by its role) and
``run.<setting>``. ``[sweep.grid]`` is a full factorial, ``[sweep.zip]`` walks equal-length
lists together, ``[[sweep.points]]`` lists points explicitly; parts present are crossed.

A group played by frozen snapshots of another group's learner (self-play leagues,
:mod:`socialrl.run.league`) says so instead of naming a learner::

    [[population]]
    name = "past"
    agents = { side = 1 }
    league = { of = "learner", snapshot_every = 1000, choose = "prioritised" }

``league = {…}`` is short for ``learner = "socialrl.run.league:LeagueOpponent"`` with the
table as its ``params`` (so ``population.past.snapshot_every`` is a sweep key like any other).
"""

from __future__ import annotations

import math
import re
import runpy
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from socialrl.run.league.settings import AnchorSettings, LeagueSettings, RatingSettings
from socialrl.run.settings import Count, RunSettings, WholeNumber
from socialrl.study.league_spec import (
    LEAGUE_LEARNER,
    check_league_params,
    league_problems,
    league_table,
)

__all__ = [
    "LEAGUE_LEARNER",
    "STUDY_NAME",
    "AdaptiveSpec",
    "GroupSpec",
    "ModelSpec",
    "RangeSpec",
    "SampleSpec",
    "SpecError",
    "StudySpec",
    "SweepSpec",
    "load_study",
    "non_finite_values",
]

#: A study's name is one folder name: letters, digits, ``_ . -``, never starting with a dot
#: (so never ``.`` or ``..``, which would write into the results root or above it).
STUDY_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


class SpecError(ValueError):
    """A study spec that cannot run: one line per problem, each naming the file and the key."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(dict.fromkeys(lines)))  # each problem once, in order
        self.lines = tuple(dict.fromkeys(lines))


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays (handy in Python studies) as plain Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _plain_values(cls, data: Any) -> Any:
        return {k: _plain(v) for k, v in data.items()} if isinstance(data, dict) else data


class ModelSpec(_Strict):
    """Which model, with which fixed parameters.

    Attributes:
        name: A registered model name (``socialrl list``) or ``"package.module:Class"``.
        params: Keyword arguments of the model's constructor.

    """

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class GroupSpec(_Strict):
    """A learner for (some of) the agents of a role.

    Attributes:
        learner: A registered learner name or ``"package.module:Class"``.
        params: The learner's hyperparameters.
        role: The role (default: the model's only role).
        agents: Slots ``[0, 2, …]`` or an attribute selector ``{slot = 0}``; default: all.
        name: How sweep keys and result columns call the group (default: the role).

    """

    learner: str
    params: dict[str, Any] = Field(default_factory=dict)
    role: str | None = None
    agents: list[int] | dict[str, Any] | None = None
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _league_table(cls, data: Any) -> Any:
        return league_table(data)

    @model_validator(mode="after")
    def _league_settings(self) -> GroupSpec:
        if self.learner == LEAGUE_LEARNER:
            check_league_params(self.params)
        return self

    @property
    def label(self) -> str:
        """The group's name in sweep keys and columns."""
        return self.name or self.role or "agents"

    @property
    def league(self) -> LeagueSettings | None:
        """The group's league settings, if snapshots of another group play it."""
        return LeagueSettings(**self.params) if self.learner == LEAGUE_LEARNER else None


class RangeSpec(_Strict):
    """Where a sampled parameter lies: a range ``[low, high]``, or one of ``values``.

    Ranges are linear or log, of floats or integers.

    Attributes:
        low: Lowest value (included).
        high: Highest value (included for integers; the unit cube's 1 for floats).
        scale: ``"linear"`` or ``"log"`` (uniform in the logarithm; ``low`` > 0).
        kind: ``"float"`` or ``"integer"`` (every integer in ``[low, high]`` equally likely).
        values: Categories to choose from instead of a range.

    """

    low: float | None = None
    high: float | None = None
    scale: Literal["linear", "log"] = "linear"
    kind: Literal["float", "integer"] = "float"
    values: list[Any] | None = None

    @model_validator(mode="after")
    def _a_range_or_values(self) -> RangeSpec:
        if self.values is not None:
            if not self.values:
                raise ValueError("values must list at least one value")
            if self.low is not None or self.high is not None:
                raise ValueError("give either values or low and high, not both")
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs low and high (or values)")
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"low must be below high, got low={self.low}, high={self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"a log range must lie above 0, got low={self.low}")
        if self.kind == "integer" and not (self.low.is_integer() and self.high.is_integer()):
            raise ValueError("an integer range needs whole low and high")
        return self


class SampleSpec(_Strict):
    """A sampled design over ranges (:mod:`socialrl.study.sampling`).

    Attributes:
        method: ``"lhs"``, ``"sobol"`` (Saltelli, for Sobol indices), ``"morris"``,
            ``"halton"``, ``"sobol_sequence"`` or ``"random"``.
        n: Points (``lhs``, ``halton``, ``sobol_sequence``, ``random``); Sobol's base size N
            (a power of two; ``N (D + 2)`` points); Morris trajectories (``n (D + 1)``).
        ranges: Sweep key → :class:`RangeSpec`.
        seed: The design's own seed (default: drawn from the study's seed).
        levels: Morris's grid levels (an even number ≥ 2).
        second_order: Sobol: also the second-order indices (``N (2D + 2)`` points).

    """

    method: Literal["lhs", "sobol", "morris", "halton", "sobol_sequence", "random"]
    n: Count
    ranges: dict[str, RangeSpec] = Field(min_length=1)
    seed: WholeNumber | None = Field(default=None, ge=0)
    levels: Count = 4
    second_order: bool = False

    @model_validator(mode="after")
    def _sizes_the_method_needs(self) -> SampleSpec:
        if self.method in ("sobol", "sobol_sequence") and self.n & (self.n - 1):
            raise ValueError(
                f"{self.method} needs n a power of two (its balance properties), got {self.n}; "
                f"nearest: {1 << (self.n.bit_length() - 1)} or {1 << self.n.bit_length()}"
            )
        if self.method == "morris" and (self.levels < 2 or self.levels % 2):
            raise ValueError(f"morris needs an even number of levels ≥ 2, got {self.levels}")
        return self


class SweepSpec(_Strict):
    """Which parameters vary, and how.

    Attributes:
        grid: ``{path: [values]}``, every combination (full factorial).
        zip: ``{path: [values]}``, lists of equal length walked together.
        points: ``[{path: value, …}, …]``, explicit points.
        sample: A sampled design over ranges (Latin hypercube, Sobol, Morris, quasi-random,
            random), crossed with the other parts.

    """

    grid: dict[str, list[Any]] = Field(default_factory=dict)
    zip: dict[str, list[Any]] = Field(default_factory=dict)
    points: list[dict[str, Any]] = Field(default_factory=list)
    sample: SampleSpec | None = None


class AdaptiveSpec(_Strict):
    """Adaptive replications: seeds are added per design point until the outcome is precise.

    A researcher states the precision they need, not a seed count. Every point starts with
    the study's ``replications``; after each batch of runs, a point whose 95% interval of
    ``outcome`` (over the table's unit of analysis: runs, or run × market) is wider than
    ``± half_width`` gets ``batch`` more replications, up to ``max_replications``
    (:mod:`socialrl.study.adaptive`).

    Attributes:
        outcome: A column of ``table`` (e.g. ``"delta"`` of ``markets``).
        table: The table the outcome is in.
        per_run: How each unit's rows become its value (``"last"``: at the largest step);
            default: ``"last"`` for a table over time, else ``"mean"``.
        half_width: The target: the interval's half-width (its ``±``), in the outcome's units.
        batch: Replications added per round (default: the study's ``replications``).
        max_replications: The cap per point, reached or not.

    """

    outcome: str = Field(min_length=1)
    table: str = "steps"
    per_run: Literal["last", "mean", "max", "min", "first", "sum"] | None = None
    half_width: float = Field(gt=0, allow_inf_nan=False)
    batch: Count | None = None
    max_replications: Count = 100


class StudySpec(_Strict):
    """A whole study: model, population, sweep, replications, run settings.

    Attributes:
        name: Folder name of the results (letters, digits, ``_ . -``; not starting with ``.``).
        description: Free text, kept in the manifest.
        seed: The study's one seed (0 ≤ seed < 2⁶³); replication ``r`` runs with a seed spawned
            from it.
        replications: Runs per sweep point (seeds).
        model: The model.
        population: One or more groups (learners for agents).
        sweep: What varies.
        run: Run length and recording (:class:`~socialrl.run.settings.RunSettings`, the type the
            run loop reads).
        units: The unit of analysis per table, table → column (``{agents = "agent"}``: walkers
            with their own Q tables are independent replications); statistics of that table
            are over run × unit. Default: the model plugin's, else the run.
        adaptive: Adaptive replications (:class:`AdaptiveSpec`): ``replications`` is then the
            first batch of every point, and more follow where the outcome is not yet precise.

    """

    name: str = Field(pattern=STUDY_NAME, max_length=200)
    description: str = ""
    seed: WholeNumber = Field(default=0, ge=0, lt=2**63)
    replications: Count = 1
    model: ModelSpec
    population: list[GroupSpec] = Field(min_length=1)
    sweep: SweepSpec = Field(default_factory=SweepSpec)
    run: RunSettings
    units: dict[str, str] = Field(default_factory=dict)
    adaptive: AdaptiveSpec | None = None

    @model_validator(mode="after")
    def _leagues_fit(self) -> StudySpec:
        problems = league_problems(self.population, self.sweep, self.run)
        if problems:
            raise ValidationError.from_exception_data("StudySpec", problems)
        return self

    @property
    def most_replications(self) -> int:
        """Replications a point may get: ``replications``, or the adaptive cap."""
        return self.replications if self.adaptive is None else self.adaptive.max_replications

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what the manifest stores; ``StudySpec(**d)`` rebuilds it exactly)."""
        return self.model_dump(mode="json", exclude_unset=True)


def load_study(path: str | Path) -> tuple[StudySpec, str]:
    """Read a study from a ``.toml`` file or a ``.py`` file that defines ``study``.

    Returns:
        The spec and a label for error messages (the file name).

    Raises:
        SpecError: a one-line message naming the file, the key and what is allowed.

    """
    path = Path(path)
    if not path.exists():
        raise SpecError(f"{path}: no such study file")
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise SpecError(f"{path}: not valid TOML: {err}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise SpecError(f"{path}: cannot be read ({type(err).__name__}: {err})") from None
        return parse_study(data, source=str(path)), str(path)
    if path.suffix == ".py":
        try:
            namespace = runpy.run_path(str(path), run_name="socialrl_study")
        except ValidationError as err:
            raise SpecError(*_errors(err, str(path))) from None
        except SyntaxError as err:
            raise SpecError(f"{path}: line {err.lineno}: {err.msg}") from None
        except Exception as err:  # a Python study is code: whatever it raises, name the file
            raise SpecError(f"{path}: running it raised {type(err).__name__}: {err}") from None
        study = namespace.get("study")
        if not isinstance(study, StudySpec):
            raise SpecError(f"{path}: a Python study must define `study = StudySpec(...)`")
        return study, str(path)
    raise SpecError(f"{path}: a study is a .toml or .py file")


def parse_study(data: dict[str, Any], source: str = "<study>") -> StudySpec:
    """Validate plain data (e.g. parsed TOML) into a :class:`StudySpec`."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a study is a table of keys, got {type(data).__name__}")
    if "players" in data and "model" not in data:
        raise SpecError(
            f"{source}: a tournament (it lists players), not a study; play it with "
            f"`socialrl tournament {source}`"
        )
    try:
        return StudySpec(**data)
    except ValidationError as err:
        raise SpecError(*_errors(err, source)) from None


def _errors(err: ValidationError, source: str) -> list[str]:
    """One line per validation error: file, dotted key, problem, allowed keys or values."""
    return [_error_line(e, source) for e in err.errors()]


def _error_line(error: Any, source: str) -> str:
    loc = [str(p) for p in error["loc"]]
    key = _dotted(loc)
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{source}: unknown key '{key}'; allowed: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{source}: missing key '{key}'"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch" and loc == ["name"]:
        message = "a study name is one folder name: letters, digits, _ . - (not starting with .)"
    given = error.get("input")
    shown = "" if isinstance(given, dict) else f" (got {given!r})"
    return f"{source}: key '{key or '<top>'}': {message}{shown}"


def non_finite_values(spec: StudySpec) -> Iterator[str]:
    """Dotted keys of every ``nan`` or ``inf`` among the spec's parameters and sweep values.

    JSON (the manifest) has no such numbers: a ``nan`` would be stored as ``null`` and the
    runs' ids recomputed from the manifest would no longer match the runs on disk.
    """
    yield from _non_finite(spec.model.params, "model.params")
    for k, group in enumerate(spec.population):
        yield from _non_finite(group.params, f"population[{k}].params")
    for kind, table in (("grid", spec.sweep.grid), ("zip", spec.sweep.zip)):
        yield from _non_finite(table, f"sweep.{kind}")
    for k, point in enumerate(spec.sweep.points):
        yield from _non_finite(point, f"sweep.points[{k}]")


def _non_finite(value: Any, key: str) -> Iterator[str]:
    if isinstance(value, float) and not math.isfinite(value):
        yield key
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _non_finite(v, f"{key}.{k}")
    elif isinstance(value, list | tuple):
        for k, v in enumerate(value):
            yield from _non_finite(v, f"{key}[{k}]")


def _dotted(loc: list[str]) -> str:
    parts: list[str] = []
    for p in loc:
        if p.isdigit() and parts:
            parts[-1] += f"[{p}]"
        else:
            parts.append(p)
    return ".".join(parts)


_CHILDREN: dict[str, type[BaseModel]] = {
    "model": ModelSpec,
    "population": GroupSpec,
    "sweep": SweepSpec,
    "run": RunSettings,
    "sample": SampleSpec,
    "adaptive": AdaptiveSpec,
    "league": LeagueSettings,
    "ratings": RatingSettings,
    "anchors": AnchorSettings,
}


def _allowed_keys(parent: list[str]) -> list[str]:
    names = [p for p in parent if not re.fullmatch(r"\d+", p)]
    cls: type[BaseModel] = StudySpec
    if len(names) >= 2 and names[-2] == "ranges":
        cls = RangeSpec
    elif names and names[-1] in _CHILDREN:
        cls = _CHILDREN[names[-1]]
    return [*cls.model_fields, *(["league"] if cls is GroupSpec else [])]
