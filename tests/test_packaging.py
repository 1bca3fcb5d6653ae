"""Packaging: the models folder installs as ``socialrl_models``, unshadowable by a user's file."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for folder, name in (("socialrl", "socialrl"), ("models", "socialrl_models")):
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *parts)))
    assert found == listed, f"missing: {sorted(found - listed)}; stale: {sorted(listed - found)}"


def test_a_researchers_own_models_module_cannot_shadow_the_lab(tmp_path: Path) -> None:
    """A ``models.py`` and a ``models/`` package in the working directory change nothing."""
    (tmp_path / "models.py").write_text("raise SystemExit('the lab imported models.py')\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("raise SystemExit('models/ imported')\n")
    script = (
        "from socialrl import QLearning, simulate\n"
        "import socialrl_models.maze as maze\n"
        "out = simulate('maze', {'layout': 'S..G', 'n_walkers': 2}, {'walker': QLearning()},"
        " steps=20)\n"
        "print(maze.__file__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(ROOT / "models")
