"""Small studies for the app's tests (AppTest pages, data layer, browser): built once, copied.

No tests here: the module holds what ``test_app.py``, ``test_app_data.py`` and
``test_app_e2e.py`` share.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from socialrl.study import parse_study, run_study

#: A 4 × 5 maze with walls in the way: walkers learn it within a few hundred steps.
MAZE = "S..#.\n.#...\n.#.#.\n...#G"


def maze_study(name: str = "tiny_maze", **overrides: Any) -> dict[str, Any]:
    """A Dyna-Q maze study: 2 ε × 2 α × 2 seeds = 8 runs of 500 steps, a steps row per step.

    500 recorded steps per run are more than a curve draws (400), so the Explore page's
    downsampling is exercised; two swept parameters give the heatmap.
    """
    study: dict[str, Any] = {
        "name": name,
        "seed": 5,
        "replications": 2,
        "model": {
            "name": "maze",
            "params": {"layout": MAZE, "n_walkers": 3, "max_episode_steps": 60},
        },
        "population": [
            {
                "role": "walker",
                "learner": "dyna_q",
                "params": {"gamma": 0.95, "planning_steps": 5},
            }
        ],
        "sweep": {
            "grid": {"population.walker.epsilon": [0.1, 0.3], "population.walker.alpha": [0.3, 0.6]}
        },
        "run": {"steps": 500, "record_every": 1, "snapshot_every": 100},
    }
    study.update(overrides)
    return study


def build(root: Path, study: dict[str, Any]) -> Path:
    """Run a study (sequentially, in this process) under ``root``; its folder."""
    report = run_study(parse_study(study), out=root, backend="sequential")
    assert report.failed == 0
    return report.path


def copy_study(source: Path, root: Path, name: str | None = None) -> Path:
    """Copy a built study's folder into ``root`` (tests that damage a study get their own)."""
    target = root / (name or source.name)
    shutil.copytree(source, target)
    return target


def test_long_facet_titles_wrap_to_the_facet_width() -> None:
    """A schedule's label is long: wrapped at its commas, and two facets a row, not three."""
    from socialrl.app.charts import FACET_TITLE_WIDTH, _facet_grid, facet_title

    schedule = '{"kind": "linear", "start": 1.0, "end": 0.05, "steps": 3000}'
    title = facet_title("population.walker.epsilon", schedule)
    lines = title.split("<br>")
    assert len(lines) == 2 and all(len(line) <= FACET_TITLE_WIDTH for line in lines)
    assert title.replace("<br>", " ") == "walker.epsilon = linear(start=1, end=0.05, steps=3000)"
    assert facet_title("model.layout", "dyna") == "layout = dyna"
    _, rows, cols = _facet_grid([schedule, 0.1, 0.2], "population.walker.epsilon")
    assert (rows, cols) == (2, 2)
    _, rows, cols = _facet_grid([0.1, 0.2, 0.3], "population.walker.epsilon")
    assert (rows, cols) == (1, 3)
