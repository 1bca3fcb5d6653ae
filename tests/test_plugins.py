"""Model plugins: a researcher's own model package plugs in exactly as the lab's models do.

``tests/plugin_example`` is such a package (a bandit model, its plugin, an entry point). It is
installed into a temporary folder, never into the environment: the tests put that folder on
``sys.path`` (or ``PYTHONPATH`` for a fresh process) and look the plugins up again.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from typer.testing import CliRunner

from socialrl import plugins, registry
from socialrl.cli import app
from socialrl.envs import register_envs
from socialrl.study import SpecError, load_results, parse_study, run_study
from tests.contracts import ModelContract

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "plugin_example"
ENV_ID = "bandit/Bandit-v0"
PIP_INSTALL = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example package installed (with its entry point) into a temporary folder."""
    tmp = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(EXAMPLE, tmp / "source")  # pip writes build files beside it
    target = tmp / "site"
    subprocess.run(
        [*PIP_INSTALL, "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    return target


def _forget_plugins() -> None:
    plugins.refresh()
    gym.registry.pop(ENV_ID, None)
    for name in [m for m in sys.modules if m.split(".")[0] in ("socialrl_bandit", "dup_plugin")]:
        del sys.modules[name]


@pytest.fixture
def on_path() -> Iterator[Any]:
    """Put folders on ``sys.path`` and look the plugins up again; undone after the test."""
    with pytest.MonkeyPatch.context() as mp:

        def add(*folders: Path) -> None:
            for folder in folders:
                mp.syspath_prepend(str(folder))
            plugins.refresh()
            register_envs()

        yield add
    _forget_plugins()


@pytest.fixture
def bandit(site: Path, on_path: Any) -> Path:
    """The example plugin, installed and found in this process."""
    on_path(site)
    return site


def bandit_study(name: str = "bandit_study") -> dict[str, Any]:
    return {
        "name": name,
        "seed": 1,
        "replications": 2,
        "model": {"name": "bandit", "params": {"n_agents": 3}},
        "population": [{"role": "gambler", "learner": "q_learning", "params": {"alpha": 0.2}}],
        "sweep": {"grid": {"population.gambler.epsilon": [0.1, 0.3]}},
        "run": {"steps": 60, "record_every": 5, "snapshot_every": 30},
    }


def fresh_python(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A new interpreter that finds the example through ``PYTHONPATH`` only."""
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "250"}
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


# ------------------------------------------------------------------------ the example plugin
def test_socialrl_list_shows_the_plugin(site: Path) -> None:
    result = fresh_python(site, "-m", "socialrl.cli", "list")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "│ bandit " in line)
    assert "socialrl_bandit.model:BanditModel" in line
    assert "socialrl" in line and "bandit" in line.split("│")[4]  # its distribution
    assert ENV_ID in result.stdout
    assert "│ maze " in result.stdout  # the lab's own models are still there


def test_gymnasium_make_in_a_fresh_process(site: Path) -> None:
    script = (
        "import gymnasium as gym, socialrl\n"
        "from gymnasium.utils.env_checker import check_env\n"
        f"env = gym.make({ENV_ID!r}, n_agents=2)\n"
        "check_env(env.unwrapped)\n"
        "obs, _ = env.reset(seed=0)\n"
        "print('made', env.unwrapped.model.__class__.__name__)\n"
    )
    result = fresh_python(site, "-c", script)
    assert result.returncode == 0, result.stderr
    assert "made BanditModel" in result.stdout


def test_gymnasium_make_and_check_env(bandit: Path) -> None:
    env = gym.make(ENV_ID, n_agents=3, horizon=5)
    check_env(env.unwrapped)
    env.reset(seed=1)
    for _ in range(5):
        *_, terminated, truncated, _ = env.step(1)
    assert truncated and not terminated  # a horizon is a time limit
    env.close()


@pytest.mark.parametrize("backend", ["sequential", "local"])
def test_runs_in_a_study(bandit: Path, tmp_path: Path, backend: str) -> None:
    report = run_study(parse_study(bandit_study()), out=tmp_path, backend=backend, workers=2)
    assert (report.done, report.failed) == (4, 0)
    results = load_results(report.path)
    assert set(results.steps.columns) >= {"run_id", "step", "win_rate"}
    assert results.agents["pulls"].between(0, 10).all()

    shown = CliRunner().invoke(app, ["show", str(report.path)], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert "bandit_study: summary" in shown.stdout  # the plugin's summary


def test_app_shows_its_view_and_run_page_presets(
    bandit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("streamlit")
    from socialrl.app.pages.run import presets
    from socialrl.app.views import view_for, viewed_models
    from tests.test_app import app_on

    run_study(parse_study(bandit_study()), out=tmp_path, backend="sequential")
    at = app_on(tmp_path, monkeypatch, "models")
    assert at.title[0].value == "Bandit: how often the gamblers win"
    assert {m.label for m in at.metric} == {"mean win rate"}

    assert "bandit" in viewed_models()
    assert view_for("socialrl_bandit.model:BanditModel") is view_for("bandit")
    assert presets("bandit", "q_learning") == ({"n_agents": 8}, {"alpha": 0.1, "gamma": 0.0})
    assert presets("bandit", "dqn") == ({"n_agents": 8}, {})


class TestBanditContract(ModelContract):
    """The example model meets the contract like every model of the lab."""

    params: ClassVar[dict[str, Any]] = {"n_agents": 3, "horizon": 7}

    @pytest.fixture(autouse=True)
    def _installed(self, bandit: Path) -> None:
        """The model class comes from the installed example."""

    @property
    def model(self) -> Any:  # type: ignore[override]
        return registry.resolve_model("bandit")


# ------------------------------------------------------------------------------ discovery
def test_the_lab_models_are_plugins() -> None:
    found = plugins.discover()
    assert {"maze", "pricing", "coordination", "gymnasium"} <= set(found.plugins)
    assert {f.distribution for f in found.plugins.values()} == {"socialrl"}
    assert not found.broken
    for env_id in ("socialrl/Maze-v0", "socialrl/ShortCorridor-v0", "socialrl/Coordination-v0"):
        assert env_id in gym.registry
    assert registry.learner_targets()["tit_for_tat"].endswith(":TitForTat")  # a strategy


def test_model_named_by_import_path_finds_its_plugin() -> None:
    plugin = registry.plugin_for("socialrl_models.maze.model:MazeModel")
    assert plugin is not None and plugin.name == "maze"
    assert registry.plugin_for(registry.resolve_model("pricing")).name == "pricing"  # type: ignore[union-attr]
    assert registry.plugin_for("collections:OrderedDict") is None
    assert registry.plugin_for("no_such_model") is None


def _dist_info(folder: Path, name: str, entry_points: str) -> None:
    """A hand-made installed distribution: just enough metadata for entry points."""
    info = folder / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[socialrl.models]\n{entry_points}\n")


def test_a_broken_plugin_is_reported_and_breaks_nothing(tmp_path: Path, on_path: Any) -> None:
    _dist_info(tmp_path, "socialrl-broken", "broken = no_such_package.plugin:PLUGIN")
    _dist_info(tmp_path, "socialrl-odd", "odd = os:sep")
    with pytest.warns(plugins.PluginWarning) as warned:
        on_path(tmp_path)
    messages = sorted(str(w.message) for w in warned)
    assert "No module named 'no_such_package'" in messages[0]
    assert "os:sep is a str, not a socialrl.plugins.ModelPlugin" in messages[1]
    found = plugins.discover()
    assert {b.name: b.distribution for b in found.broken} == {
        "broken": "socialrl-broken",
        "odd": "socialrl-odd",
    }
    assert "not a socialrl.plugins.ModelPlugin" in next(
        b.error for b in found.broken if b.name == "odd"
    )
    assert "maze" in found.plugins
    with pytest.raises(KeyError, match="'broken' comes from a plugin that did not load"):
        registry.resolve_model("broken")

    listed = CliRunner().invoke(app, ["list", "--studies", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert "not loaded" in listed.stdout and "broken" in listed.stdout


def test_a_duplicate_name_is_an_error_naming_both_distributions(
    tmp_path: Path, on_path: Any
) -> None:
    (tmp_path / "dup_plugin.py").write_text(
        "from socialrl.plugins import ModelPlugin\n"
        "PLUGIN = ModelPlugin(name='maze', model='dup_plugin:Maze')\n"
    )
    _dist_info(tmp_path, "socialrl-dup", "maze = dup_plugin:PLUGIN")
    with pytest.warns(plugins.PluginWarning, match="declared by"):
        on_path(tmp_path)
    with pytest.raises(KeyError, match=r"socialrl \(socialrl_models.*socialrl-dup \(dup_plugin"):
        registry.resolve_model("maze")
    assert "pricing" in plugins.discover().plugins  # the others still work


def test_plugin_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match=r"not a 'package\.module:attribute' target"):
        plugins.ModelPlugin(name="x", model="just_a_module")
    with pytest.raises(ValueError, match="plain word"):
        plugins.ModelPlugin(name="a:b", model="m:C")
    plugin = plugins.ModelPlugin(name="x", model="m:C", presets={"n": 1})
    with pytest.raises(TypeError):
        plugin.presets["n"] = 2  # type: ignore[index]


# ------------------------------------------------------------------ import paths: classes only
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: registry.resolve_model("os:system"),
            "is a builtin_function_or_method, not a class",
        ),
        (lambda: registry.resolve_model("collections:OrderedDict"), "is not a mesa.model.Model"),
        (lambda: registry.make_learner("os:system"), "not a class"),
        (lambda: registry.make_learner("os:path"), "is a module, not a class"),
        (lambda: registry.make_learner("no_such_module:X"), "cannot import learner"),
    ],
)
def test_import_paths_must_name_classes(call: Any, message: str) -> None:
    with pytest.raises(KeyError, match=message):
        call()


def test_a_study_naming_a_function_is_refused_before_it_runs(tmp_path: Path) -> None:
    spec = bandit_study()
    spec["model"] = {"name": "os:system", "params": {}}
    with pytest.raises(SpecError, match=r"key 'model\.name'.*not a class"):
        run_study(parse_study(spec), out=tmp_path, backend="sequential")
    assert not np.any([p.exists() for p in tmp_path.glob("*/manifest.json")])


def test_every_target_of_the_lab_plugins_imports() -> None:
    """A moved module must not leave a plugin pointing at nothing."""
    for name, found in plugins.discover().plugins.items():
        plugin = found.plugin
        targets = [plugin.model, *plugin.env_ids.values(), *plugin.strategies.values()]
        for target in [*targets, *([plugin.summary] if plugin.summary else [])]:
            assert plugins.load(target) is not None, (name, target)
        if plugin.view is not None and importlib.util.find_spec("streamlit") is not None:
            view = importlib.import_module(plugin.view)
            assert isinstance(view.TITLE, str) and callable(view.render), name
