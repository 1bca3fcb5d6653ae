"""A table of malformed study files: each is refused in one line before anything runs.

Every case changes the tiny maze study of :mod:`tests.study_helpers` (``tiny_study``) and
expects a :class:`~socialrl.study.SpecError` whose every line names the file and the key,
with nothing written under ``--out``. The cases cover unknown keys, wrong types, values that
only look right (``steps = true``), names that would leave the results folder, numbers JSON
cannot hold, import paths that are no class, parameters of the model and learners, sweeps and
huge expansions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from socialrl.study import SpecError, run_study
from tests.study_helpers import tiny_study, write_toml

DELETE = object()


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


GRID = ("sweep", "grid")
NAN = float("nan")
#: 1,000 × 1,000 values: a two-million-run grid, refused before it is expanded.
EPSILONS = [round(0.001 * k, 3) for k in range(1, 1001)]
ALPHAS = [round(0.0005 * k, 4) for k in range(1, 1001)]
UNIT_RANGE = {"low": 0.0, "high": 1.0}
LOG_FROM_ZERO = {"low": 0.0, "high": 1.0, "scale": "log"}


def _sample(method: str, n: int, ranges: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A ``[sweep]`` with only a sampled design."""
    return {"sample": {"method": method, "n": n, "ranges": ranges, **extra}}


BAD_STUDIES: list[tuple[str, list[tuple[tuple[Any, ...], Any]], list[str]]] = [
    (
        "unknown top-level key",
        [(("modle",), {"name": "maze"})],
        [
            "unknown key 'modle'",
            "allowed: name, description, seed, replications, model, population, sweep, run",
        ],
    ),
    (
        "unknown key in [run]",
        [(("run", "stepz"), 10)],
        [
            "unknown key 'run.stepz'",
            "allowed: steps, episodes, record_every, snapshot_every, stop_when_stable",
        ],
    ),
    (
        "unknown key in [[population]]",
        [(("population", 0, "rol"), "walker")],
        ["unknown key 'population[0].rol'", "allowed: learner, params, role, agents, name"],
    ),
    (
        "unknown key in [sweep]",
        [(("sweep", "grd"), {"model.layout": ["dyna"]})],
        ["unknown key 'sweep.grd'", "allowed: grid, zip, points"],
    ),
    ("wrong type", [(("run", "steps"), "ten")], ["key 'run.steps'", "integer", "'ten'"]),
    ("no replications", [(("replications",), 0)], ["key 'replications'", "greater than 0"]),
    ("bad study name", [(("name",), "my study")], ["key 'name'", "'my study'"]),
    (
        "unknown model",
        [(("model", "name"), "mazes")],
        ["key 'model.name'", "'mazes'", "allowed:", "maze"],
    ),
    (
        "unknown learner",
        [(("population", 0, "learner"), "q_learner")],
        ["key 'population[0].learner'", "'q_learner'", "allowed:", "q_learning", "random"],
    ),
    (
        "learner import path that does not import",
        [(("population", 0, "learner"), "tests.study_helpers:NoSuchLearner")],
        ["key 'population[0].learner'", "cannot import", "NoSuchLearner"],
    ),
    (
        "model parameter the model does not take",
        [(("model", "params", "n_walker"), 3), (("sweep",), DELETE)],
        ["model.params", "'n_walker'", "allowed:", "n_walkers", "max_episode_steps"],
    ),
    (
        "model parameter the model does not take, in a swept study",
        [(("model", "params", "n_walker"), 3)],
        ["'n_walker'", "allowed:", "n_walkers", "max_episode_steps"],
    ),
    (
        "swept model parameter the model does not take",
        [(GRID, {"model.n_walker": [2, 3]})],
        ["sweep point", "model.n_walker", "'n_walker'", "allowed:", "n_walkers"],
    ),
    (
        "learner parameter the learner does not take",
        [(("population", 0, "params", "alpah"), 0.5)],
        ["population[0].params", "'alpah'", "allowed:", "alpha", "epsilon"],
    ),
    (
        "bad learner value (dry build)",
        [(("population", 0, "params", "alpha"), 2.0)],
        ["population[0].params", "alpha", "2.0"],
    ),
    (
        "bad swept learner value (dry build)",
        [(GRID, {"population.walker.alpha": [0.5, 2.0]})],
        ["population[0].params", "sweep point", "alpha", "2.0"],
    ),
    (
        "bad model value (dry build)",
        [(("model", "params", "n_walkers"), 0), (("sweep",), DELETE)],
        ["model.params", "n_walkers", "got 0"],
    ),
    (
        "unknown layout (dry build)",
        [(("model", "params", "layout"), "labyrinth")],
        ["'labyrinth'", "allowed:", "dyna", "lecture"],
    ),
    (
        "empty grid list",
        [(GRID, {"model.layout": []})],
        ["key 'sweep.grid.model.layout'", "empty sweep"],
    ),
    (
        "empty zip list",
        [(("sweep",), {"zip": {"model.layout": []}})],
        ["key 'sweep.zip.model.layout'", "empty sweep"],
    ),
    ("empty points", [(("sweep",), {"points": []})], ["key 'sweep.points'", "empty sweep"]),
    (
        "unequal zip lists",
        [(("sweep",), {"zip": {"model.layout": ["dyna"], "model.n_walkers": [2, 3]}})],
        ["key 'sweep.zip'", "equal lengths"],
    ),
    (
        "sweep key with a bad prefix",
        [(GRID, {"modle.layout": ["dyna"]})],
        ["sweep key 'modle.layout'", "model.<param>", "population.<group>.<param>", "run.<"],
    ),
    (
        "sweep key naming an unknown run setting",
        [(GRID, {"run.stpes": [10]})],
        ["sweep key 'run.stpes'", "steps", "record_every"],
    ),
    (
        "sweep key naming a group that does not exist",
        [(GRID, {"population.firm.alpha": [0.1]})],
        ["sweep key 'population.firm.alpha'", "no group 'firm'", "groups: walker"],
    ),
    (
        "two points describing the same run",
        [(("sweep",), {"points": [{"model.layout": "dyna"}, {"model.layout": "dyna"}]})],
        ["key 'sweep'", "same run"],
    ),
    (
        "two groups with the same name",
        [
            (
                ("population",),
                [
                    {"role": "walker", "learner": "q_learning", "agents": [0]},
                    {"role": "walker", "learner": "random", "agents": [1, 2]},
                ],
            )
        ],
        ["key 'population'", "name"],
    ),
    (
        "run without a length",
        [(("run",), {"record_every": 10})],
        ["key 'run'", "steps", "episodes"],
    ),
    ("no [run] at all", [(("run",), DELETE)], ["missing key 'run'"]),
    ("no [model] at all", [(("model",), DELETE)], ["missing key 'model'"]),
    # ---- values that only look right
    ("steps = true", [(("run", "steps"), True)], ["key 'run.steps'", "integer, not true/false"]),
    ("steps as text", [(("run", "steps"), "100")], ["key 'run.steps'", "not text"]),
    ("fractional steps", [(("run", "steps"), 10.5)], ["key 'run.steps'", "not a fraction"]),
    ("zero steps", [(("run", "steps"), 0)], ["key 'run.steps'", "greater than 0"]),
    ("negative record_every", [(("run", "record_every"), -5)], ["key 'run.record_every'"]),
    ("replications = true", [(("replications",), True)], ["key 'replications'", "true/false"]),
    ("negative seed", [(("seed",), -1)], ["key 'seed'", "greater than or equal to 0", "-1"]),
    ("seed as text", [(("seed",), "42")], ["key 'seed'", "not text"]),
    ("seed too large", [(("seed",), 2**63)], ["key 'seed'", "less than"]),
    ("seed = false", [(("seed",), False)], ["key 'seed'", "true/false"]),
    (
        "huge expansion",
        [(("replications",), 100_000_000)],
        ["key 'replications'", "200,000,000 runs", "2 sweep points", "--max-runs"],
    ),
    (
        "huge grid",
        [(GRID, {"population.walker.epsilon": EPSILONS, "population.walker.alpha": ALPHAS})],
        ["key 'replications'", "2,000,000 runs", "--max-runs"],
    ),
    # ---- names that would leave the results folder
    ("study name ..", [(("name",), "..")], ["key 'name'", "one folder name", "'..'"]),
    ("study name .", [(("name",), ".")], ["key 'name'", "one folder name"]),
    ("study name with a slash", [(("name",), "a/b")], ["key 'name'", "'a/b'"]),
    ("study name ../up", [(("name",), "../up")], ["key 'name'", "'../up'"]),
    ("hidden study name", [(("name",), ".hidden")], ["key 'name'", "not starting with ."]),
    ("empty study name", [(("name",), "")], ["key 'name'"]),
    ("absolute study name", [(("name",), "/tmp/x")], ["key 'name'", "'/tmp/x'"]),
    # ---- numbers JSON cannot hold
    (
        "nan model parameter",
        [(("model", "params", "step_reward"), float("nan"))],
        ["key 'model.params.step_reward'", "nan and inf"],
    ),
    (
        "inf learner parameter",
        [(("population", 0, "params", "alpha"), float("inf"))],
        ["key 'population[0].params.alpha'", "nan and inf"],
    ),
    (
        "nan in a sweep grid",
        [(GRID, {"population.walker.epsilon": [0.1, float("nan")]})],
        ["key 'sweep.grid.population.walker.epsilon[1]'", "nan and inf"],
    ),
    (
        "-inf in a sweep point",
        [(("sweep",), {"points": [{"model.step_reward": float("-inf")}]})],
        ["key 'sweep.points[0].model.step_reward'", "nan and inf"],
    ),
    (
        "nan nested in a schedule",
        [(("population", 0, "params", "epsilon"), {"kind": "linear", "start": NAN, "steps": 10})],
        ["key 'population[0].params.epsilon.start'", "nan and inf"],
    ),
    # ---- learner values, each naming its key
    (
        "learner value of the wrong type",
        [(("population", 0, "params", "alpha"), "fast"), (("sweep",), DELETE)],
        ["key 'population[0].params.alpha'", "(got 'fast')"],
    ),
    (
        "learner rate outside (0, 1]",
        [(("population", 0, "params", "alpha"), 1.5), (("sweep",), DELETE)],
        ["key 'population[0].params.alpha'", "1.5"],
    ),
    (
        "negative discount",
        [(("population", 0, "params", "gamma"), -0.1), (("sweep",), DELETE)],
        ["key 'population[0].params.gamma'", "-0.1"],
    ),
    (
        "unknown schedule kind",
        [(("population", 0, "params", "epsilon"), {"kind": "cosine"}), (("sweep",), DELETE)],
        ["key 'population[0].params.epsilon'", "cosine"],
    ),
    (
        "learner params not a table",
        [(("population", 0, "params"), [1, 2])],
        ["key 'population[0].params'", "dictionary"],
    ),
    ("population empty", [(("population",), [])], ["key 'population'", "at least 1"]),
    ("population not a list", [(("population",), {"learner": "q_learning"})], ["key 'population'"]),
    (
        "group without a learner",
        [(("population", 0, "learner"), DELETE)],
        ["missing key 'population[0].learner'"],
    ),
    (
        "group on a role the model lacks",
        [(("population", 0, "role"), "firm"), (("sweep",), DELETE)],
        ["key 'population'", "firm"],
    ),
    (
        "agents outside the role",
        [(("population", 0, "agents"), [0, 7])],
        ["key 'population'", "group 0", "agent slots must lie in [0, 3)"],
    ),
    # ---- model values
    (
        "model value of the wrong type",
        [(("model", "params", "n_walkers"), "three"), (("sweep",), DELETE)],
        ["key 'model.params.n_walkers'", "three"],
    ),
    ("model without a name", [(("model", "name"), DELETE)], ["missing key 'model.name'"]),
    (
        "model name that is an import path to no class",
        [(("model", "name"), "os:system")],
        ["key 'model.name'", "os:system"],
    ),
    (
        "learner import path to a function",
        [(("population", 0, "learner"), "os:system")],
        ["key 'population[0].learner'", "not a class"],
    ),
    ("model params not a table", [(("model", "params"), "maze")], ["key 'model.params'"]),
    # ---- sweeps
    ("sweep grid not a table", [(GRID, ["population.walker.epsilon"])], ["key 'sweep.grid'"]),
    (
        "sweep grid values not a list",
        [(GRID, {"population.walker.epsilon": 0.1})],
        ["key 'sweep.grid.population.walker.epsilon'"],
    ),
    (
        "bad swept run setting",
        [(GRID, {"run.steps": [10, "ten"]})],
        ["key 'run.steps'", "sweep point"],
    ),
    ("description not text", [(("description",), 3)], ["key 'description'", "string"]),
    # ---- sampled designs (sweep.sample)
    (
        "range with low above high",
        [(("sweep",), _sample("lhs", 8, {"population.walker.alpha": {"low": 0.9, "high": 0.1}}))],
        ["key 'sweep.sample.ranges.population.walker.alpha'", "low must be below high"],
    ),
    (
        "log range touching zero",
        [(("sweep",), _sample("lhs", 8, {"population.walker.alpha": LOG_FROM_ZERO}))],
        ["ranges.population.walker.alpha'", "a log range must lie above 0"],
    ),
    (
        "sobol size not a power of two",
        [(("sweep",), _sample("sobol", 100, {"population.walker.alpha": UNIT_RANGE}))],
        ["key 'sweep.sample'", "power of two", "nearest: 64 or 128"],
    ),
    (
        "morris with odd levels",
        [(("sweep",), _sample("morris", 4, {"population.walker.alpha": UNIT_RANGE}, levels=3))],
        ["key 'sweep.sample'", "even number of levels"],
    ),
    (
        "unknown sampling method",
        [(("sweep",), _sample("fast", 8, {"population.walker.alpha": UNIT_RANGE}))],
        ["key 'sweep.sample.method'", "'lhs'", "'sobol'", "'morris'"],
    ),
    (
        "unknown key in a range",
        [(("sweep",), _sample("lhs", 8, {"population.walker.alpha": {"lo": 0, "high": 1}}))],
        ["unknown key 'sweep.sample.ranges.population.walker.alpha.lo'", "allowed: low, high"],
    ),
    (
        "range with values and bounds",
        [
            (
                ("sweep",),
                _sample("lhs", 8, {"model.layout": {"values": ["dyna"], "low": 0, "high": 1}}),
            )
        ],
        ["ranges.model.layout'", "either values or low and high"],
    ),
    (
        "empty ranges",
        [(("sweep",), _sample("lhs", 8, {}))],
        ["key 'sweep.sample.ranges'", "at least 1"],
    ),
    (
        "sampled key that names no parameter",
        [(("sweep",), _sample("lhs", 4, {"population.walker.alpah": UNIT_RANGE}))],
        ["population[0].params", "'alpah'", "allowed:"],
    ),
    (
        "sampled value the learner refuses",
        [(("sweep",), _sample("lhs", 4, {"population.walker.alpha": {"low": 1.5, "high": 2.0}}))],
        ["key 'population[0].params.alpha'", "sweep point"],
    ),
    ("run not a table", [(("run",), 100)], ["key 'run'"]),
]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [pytest.param(changes, expected, id=name) for name, changes, expected in BAD_STUDIES],
)
def test_bad_study_is_a_one_line_spec_error_and_nothing_runs(
    tmp_path: Path, changes: list[tuple[tuple[Any, ...], Any]], expected: list[str]
) -> None:
    data = tiny_study("bad")
    for path, value in changes:
        _set(data, path, value)
    study = write_toml(tmp_path / "bad.toml", data)
    out = tmp_path / "results"
    with pytest.raises(SpecError) as caught:
        run_study(study, out=out, backend="sequential")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{study}: ")
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert not out.exists()  # nothing ran, nothing was written
