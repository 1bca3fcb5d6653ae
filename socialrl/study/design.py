"""From a study spec to its runs: sweep points × replications, seeds and stable run ids.

Every run is a :class:`RunConfig`: plain data that says everything about the run (model,
parameters, population, length, seed). Its ``run_id`` is a hash of exactly that, so the same
study always gives the same ids — which is what makes resuming and comparing studies safe.

Seeds: replication ``r`` gets the ``r``-th child of ``SeedSequence(study.seed)``, the same at
every sweep point (common random numbers: settings are compared on the same draws).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from socialrl import registry
from socialrl.mesa_compat import release_model
from socialrl.population import Group, Population
from socialrl.run.settings import RunSettings
from socialrl.run.stopping import stability_counters
from socialrl.study.sampling import sample_points, sample_size
from socialrl.study.spec import SpecError, StudySpec, non_finite_values

__all__ = [
    "MAX_RUNS",
    "GroupConfig",
    "RunConfig",
    "build_population",
    "check_size",
    "check_values",
    "count_runs",
    "expand",
    "make_group",
    "validate",
]

#: Most runs a study may expand to unless its caller raises the limit (``--max-runs``).
MAX_RUNS = 200_000


@dataclass(frozen=True)
class GroupConfig:
    """One group of a run's population, parameters resolved."""

    learner: str
    params: dict[str, Any]
    role: str | None
    agents: list[int] | dict[str, Any] | None
    name: str


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs; picklable and JSON-able.

    Attributes:
        run_id: Hash of the run's content (model, parameters, population, length, seed).
        study: The study's name.
        point: Index of the sweep point.
        replication: Index of the replication.
        seed: The run's seed (spawned from the study seed).
        swept: The sweep point's values, ``{path: value}``.
        model: Registered model name or import path.
        model_params: The model's parameters.
        groups: The population.
        run: Length and recording settings, as the run loop reads them.
        sample: The run's row of a sampled design (``sweep.sample``), else None.

    """

    run_id: str
    study: str
    point: int
    replication: int
    seed: int
    swept: dict[str, Any]
    model: str
    model_params: dict[str, Any]
    groups: tuple[GroupConfig, ...]
    run: RunSettings
    sample: int | None = None

    def parameters(self) -> dict[str, Any]:
        """Flat ``{column: value}`` of every parameter (for the ``runs`` table)."""
        flat: dict[str, Any] = {f"model.{k}": v for k, v in self.model_params.items()}
        for g in self.groups:
            flat[f"population.{g.name}.learner"] = g.learner
            flat.update({f"population.{g.name}.{k}": v for k, v in g.params.items()})
        flat.update({f"run.{k}": v for k, v in self.run.identity().items() if v is not None})
        # a key inside a table parameter (population.firm.epsilon.beta) gets its own column
        flat.update({k: v for k, v in self.swept.items() if k not in flat})
        return flat

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``run.json``."""
        return {
            "run_id": self.run_id,
            "study": self.study,
            "point": self.point,
            "replication": self.replication,
            "seed": self.seed,
            "swept": self.swept,
            "model": self.model,
            "model_params": self.model_params,
            "groups": [g.__dict__ for g in self.groups],
            "run": self.run.model_dump(),
            "sample": self.sample,
        }


def _sweep_points(spec: StudySpec, source: str) -> list[tuple[dict[str, Any], int | None]]:
    """The sweep's points: grid × zip × explicit points × sample (each part present multiplies).

    Each point comes with its row of the sampled design (None without one).
    """
    sweep = spec.sweep
    for kind, table in (("grid", sweep.grid), ("zip", sweep.zip)):
        for path, values in table.items():
            if not values:
                raise SpecError(f"{source}: key 'sweep.{kind}.{path}': empty sweep (no values)")
    parts: list[list[dict[str, Any]]] = []
    if sweep.grid:
        keys = list(sweep.grid)
        parts.append(
            [
                dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*sweep.grid.values())
            ]
        )
    if sweep.zip:
        lengths = {path: len(values) for path, values in sweep.zip.items()}
        if len(set(lengths.values())) > 1:
            raise SpecError(
                f"{source}: key 'sweep.zip': lists must have equal lengths, got {lengths}"
            )
        keys = list(sweep.zip)
        parts.append(
            [dict(zip(keys, combo, strict=True)) for combo in zip(*sweep.zip.values(), strict=True)]
        )
    if "points" in sweep.model_fields_set:
        if not sweep.points:
            raise SpecError(f"{source}: key 'sweep.points': empty sweep (no points)")
        parts.append([dict(p) for p in sweep.points])
    points: list[dict[str, Any]] = [{}]
    for part in parts:
        points = [{**a, **b} for a in points for b in part]
    if sweep.sample is None:
        return [(point, None) for point in points]
    drawn = sample_points(sweep.sample, spec.seed)
    return [({**point, **row}, k) for point in points for k, row in enumerate(drawn)]


def _set_nested(
    params: dict[str, Any], keys: list[str], value: Any, path: str, source: str
) -> None:
    """``params[k1][k2]… = value``, copying the tables on the way (the spec stays as it is).

    A sweep key may reach into a table parameter: ``population.firm.epsilon.beta`` varies the
    ``beta`` of the group's ``epsilon = { kind = "exponential", beta = 4e-6 }``.
    """
    head, *rest = keys
    if not rest:
        params[head] = value
        return
    inner = params.get(head)
    if not isinstance(inner, dict):
        raise SpecError(
            f"{source}: sweep key '{path}': {head!r} is not a table in the study's parameters "
            f"(got {inner!r}); give {head} as a table (e.g. {{ kind = …, … }}) to sweep its keys"
        )
    params[head] = dict(inner)
    _set_nested(params[head], rest, value, path, source)


def _apply(
    spec: StudySpec, point: Mapping[str, Any], source: str
) -> tuple[dict[str, Any], list[GroupConfig], RunSettings]:
    """The model params, groups and run settings of one sweep point."""
    model_params = dict(spec.model.params)
    groups = {g.label: dict(g.params) for g in spec.population}
    run = spec.run.model_dump()
    for path, value in point.items():
        head, _, rest = path.partition(".")
        if head == "model" and rest:
            _set_nested(model_params, rest.split("."), value, path, source)
        elif head == "population" and rest.count(".") >= 1:
            label, *param = rest.split(".")
            if label not in groups:
                raise SpecError(
                    f"{source}: sweep key '{path}': no group {label!r}; groups: {', '.join(groups)}"
                )
            _set_nested(groups[label], param, value, path, source)
        elif head == "run" and rest in run:
            run[rest] = value
        else:
            raise SpecError(
                f"{source}: sweep key '{path}': paths are model.<param>, "
                f"population.<group>.<param> or run.<{'|'.join(run)}>"
            )
    settings = spec.run
    if any(path.startswith("run.") for path in point):
        try:
            settings = RunSettings(**run)
        except ValidationError as err:
            first = err.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "run"
            raise SpecError(
                f"{source}: sweep point {dict(point)}: key 'run.{key}': {first['msg']}"
            ) from None
    configs = [
        GroupConfig(
            learner=g.learner,
            params=groups[g.label],
            role=g.role,
            agents=g.agents,
            name=g.label,
        )
        for g in spec.population
    ]
    return model_params, configs, settings


def _run_id(content: Mapping[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Seed of each replication: the children of ``SeedSequence(seed)``, as 63-bit ints."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def expand(
    spec: StudySpec, source: str = "<study>", replications: Sequence[int] | int | None = None
) -> list[RunConfig]:
    """Every run of the study, in a stable order (points, then replications).

    ``replications`` gives the replications of every point, or of each point in order
    (adaptive replications, :mod:`socialrl.study.adaptive`); default: the study's own.
    Replication ``r`` has the same seed and run id whatever the count, so a point's runs only
    ever grow.
    """
    labels = [g.label for g in spec.population]
    if len(set(labels)) != len(labels):
        raise SpecError(
            f"{source}: key 'population': group names repeat ({labels}); give groups a `name`"
        )
    points = _sweep_points(spec, source)
    counts = _counts(replications, spec.replications, len(points))
    seeds = replication_seeds(spec.seed, max(counts, default=0))
    runs = []
    for i, (point, row) in enumerate(points):
        model_params, groups, run = _apply(spec, point, source)
        for r, seed in enumerate(seeds[: counts[i]]):
            content = {
                "model": spec.model.name,
                "model_params": model_params,
                "groups": [g.__dict__ for g in groups],
                "run": run.identity(),
                "seed": seed,
            }
            if row is not None:  # sampled rows may repeat: the row makes the run
                content["sample"] = row
            runs.append(
                RunConfig(
                    run_id=_run_id(content),
                    study=spec.name,
                    point=i,
                    replication=r,
                    seed=seed,
                    swept=dict(point),
                    model=spec.model.name,
                    model_params=model_params,
                    groups=tuple(groups),
                    run=run,
                    sample=row,
                )
            )
    ids = [r.run_id for r in runs]
    if len(set(ids)) != len(ids):
        raise SpecError(f"{source}: key 'sweep': two sweep points describe the same run")
    return runs


def _counts(given: Sequence[int] | int | None, default: int, n_points: int) -> list[int]:
    """Replications of each of ``n_points`` points."""
    if given is None or isinstance(given, int):
        return [default if given is None else given] * n_points
    if len(given) != n_points:
        raise ValueError(f"replications for {len(given)} points, the study has {n_points}")
    return list(given)


def count_runs(spec: StudySpec) -> int:
    """How many runs the study may expand to, without expanding it (points × seeds).

    With adaptive replications: at most, every point at its cap.
    """
    sweep, count = spec.sweep, spec.most_replications
    for values in sweep.grid.values():
        count *= len(values)
    if sweep.zip:
        count *= max(len(values) for values in sweep.zip.values())
    if "points" in sweep.model_fields_set:
        count *= len(sweep.points)
    if sweep.sample is not None:
        count *= sample_size(sweep.sample)
    return count


def check_size(spec: StudySpec, source: str, max_runs: int = MAX_RUNS) -> None:
    """Refuse a study that expands to more than ``max_runs`` runs, before expanding it.

    ``replications = 100000000`` is a typo far more often than a plan; a study that really
    is that large says so with ``max_runs`` (``socialrl run --max-runs``).
    """
    count = count_runs(spec)
    if count > max_runs:
        key, most = "replications", f"{spec.most_replications:,} replications"
        if spec.adaptive is not None:
            key, most = "adaptive.max_replications", f"up to {most}"
        raise SpecError(
            f"{source}: key '{key}': the study expands to {count:,} runs "
            f"({count // spec.most_replications:,} sweep points × {most}), "
            f"more than --max-runs {max_runs:,}; raise --max-runs if you mean it"
        )


def check_values(spec: StudySpec, source: str) -> None:
    """Refuse ``nan``/``inf`` parameters (JSON, and so the manifest, cannot hold them)."""
    keys = list(non_finite_values(spec))
    if keys:
        raise SpecError(
            *(f"{source}: key '{k}': nan and inf are not parameter values" for k in keys)
        )


def validate(spec: StudySpec, runs: list[RunConfig], source: str = "<study>") -> None:
    """Check names and parameters of every run before any run starts; all problems at once.

    Builds every distinct population's learners, and each distinct model (with its learners'
    names, roles and agents) once with seed 0, binding a population to it, so bad values fail
    here, one line each naming the file, the key and the sweep point, not in run 37.
    """
    try:
        registry.resolve_model(spec.model.name)
    except KeyError as err:
        raise SpecError(f"{source}: key 'model.name': {err.args[0]}") from None
    # One line per problem: the same problem at other sweep points (other sampled values
    # too: the "(got …)" part aside) is counted, not repeated.
    found: dict[tuple[str, str, bool], tuple[str, list[dict[str, Any]]]] = {}
    seen: set[str] = set()
    bound: set[str] = set()
    for run in runs:
        key = json.dumps(
            [run.model_params, [g.__dict__ for g in run.groups]], sort_keys=True, default=str
        )
        if key in seen:
            continue
        seen.add(key)
        # A model is built and bound once per model parameters × learners (names, roles,
        # agents); other learner parameters are checked by building the learners alone.
        shape = json.dumps(
            [run.model_params, [(g.learner, g.role, g.agents, g.name) for g in run.groups]],
            sort_keys=True,
            default=str,
        )
        problems = _run_problems(run) if shape not in bound else _group_problems(run)[0]
        bound.add(shape)
        for where, message, swept in problems:
            kind = (where, _GOT.sub("#", message), swept)
            found.setdefault(kind, (message, []))[1].append(run.swept)
    if found:
        raise SpecError(
            *(
                f"{source}: key '{where}'{_where(points, len(seen), swept)}: {message}"
                for (where, _, swept), (message, points) in found.items()
            )
        )


#: Numbers in a problem message (the values it quotes), left out when problems are grouped.
_GOT = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _where(points: list[dict[str, Any]], checked: int, swept: bool) -> str:
    """The sweep point a problem occurs at: always for a swept value, else unless everywhere."""
    if not points[0] or (not swept and checked > 1 and len(points) == checked):
        return ""
    more = f" and {len(points) - 1} more" if len(points) > 1 else ""
    return f" (sweep point {points[0]}{more})"


def _run_problems(run: RunConfig) -> list[tuple[str, str, bool]]:
    """``(key, problem, swept)`` for what is wrong with one run's model and groups."""
    try:
        factory = registry.model_factory(run.model, run.model_params)
    except TypeError as err:
        culprit = _culprit(lambda p: registry.model_factory(run.model, p), run.model_params)
        return [_problem("model.params", culprit, str(err), f"model.{culprit}" in run.swept)]
    problems, groups = _group_problems(run)
    if problems:
        return problems
    try:
        model = factory(np.random.default_rng(0))
    except Exception as err:  # any failure here is a spec error: report it, run nothing
        culprit = _culprit(
            lambda p: release_model(registry.model_factory(run.model, p)(np.random.default_rng(0))),
            run.model_params,
        )
        message = f"{type(err).__name__}: {_message(err)}"
        return [_problem("model.params", culprit, message, f"model.{culprit}" in run.swept)]
    try:
        _bind_once(model, Population(groups), run.run)
    except Exception as err:  # the population does not fit the model (roles, slots, spaces)
        return [("population", f"{type(err).__name__}: {_message(err)}", False)]
    return []


def _group_problems(run: RunConfig) -> tuple[list[tuple[str, str, bool]], list[Group]]:
    """The problems of a run's learners (built from their names and parameters), and them."""
    problems, groups = [], []
    for k, g in enumerate(run.groups):
        try:
            groups.append(make_group(g))
        except KeyError as err:
            problems.append((f"population[{k}].learner", str(err.args[0]), False))
        except (TypeError, ValueError) as err:
            culprit = _culprit(lambda p, g=g: make_group(replace(g, params=p)), g.params)
            shown = repr(g.params[culprit]) if culprit else ""
            # the value, unless the learner's message quotes it already
            given = f" (got {shown})" if shown and shown not in str(err) else ""
            swept = f"population.{g.name}.{culprit}" in run.swept
            problems.append(
                _problem(f"population[{k}].params", culprit, _message(err) + given, swept)
            )
    return problems, groups


def _problem(table: str, culprit: str | None, message: str, swept: bool) -> tuple[str, str, bool]:
    return (f"{table}.{culprit}" if culprit else table, message, swept)


def _culprit(build: Any, params: Mapping[str, Any]) -> str | None:
    """The one parameter that fails ``build`` on its own (None: none alone, or several do).

    Errors raised while building do not always say which parameter they are about (``'<'
    not supported between 'float' and 'str'``); trying each parameter alone on top of the
    defaults finds the key to name.
    """
    failing = []
    for name in list(params)[:40]:
        try:
            build({name: params[name]})
        except Exception:
            failing.append(name)
    return failing[0] if len(failing) == 1 else None


def _message(err: BaseException) -> str:
    """An error's first line (pydantic and NumPy errors can run over many lines)."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def make_group(config: GroupConfig) -> Group:
    """A group of a run's population: its learner built from the registered name and params."""
    learner = registry.make_learner(config.learner, config.params)
    return Group(learner, role=config.role, agents=config.agents, name=config.name)


def build_population(groups: Sequence[GroupConfig]) -> Population:
    """A run's population, unbound (the run binds it to its model)."""
    return Population([make_group(g) for g in groups])


def _bind_once(model: Any, population: Population, settings: RunSettings) -> None:
    """Bind the population to a model built once (the dry run of :func:`validate`)."""
    try:
        population.bind(model, np.random.SeedSequence(0))
        if settings.stop_when_stable is not None:
            stability_counters(population)  # raises for a population that cannot stop so
    finally:
        release_model(model)
