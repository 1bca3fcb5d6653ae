"""Summary tables in a terminal: they fit 80 columns, say ``–`` for missing, explain columns."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from socialrl.app.labels import glossary_lines
from socialrl.study import run_study
from socialrl.terminal import layout
from tests.study_helpers import tiny_study, write_toml

ROOT = Path(__file__).resolve().parents[1]


def _render(table: pd.DataFrame, width: int) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)
    for part in layout(table, "study: summary", width):
        console.print(part)
    return out.getvalue()


WIDE = pd.DataFrame(
    {
        "population.walker.epsilon": [0.05, 0.2, 0.5],
        "episodes_mean": [50.58, 42.42, np.nan],
        "episodes_sd": [2.09, 1.148, np.nan],
        "runs": [10, 10, 0],
        "episodes_ci95_low": [49.08, 41.6, np.nan],
        "episodes_ci95_high": [52.08, 43.24, np.nan],
        "learned_share": [1.0, 0.96, 0.0],
    }
)


@pytest.mark.parametrize("width", [60, 80, 120])
def test_a_wide_summary_fits_the_terminal_with_whole_headers(width: int) -> None:
    text = _render(WIDE, width)
    assert max(len(line) for line in text.splitlines()) <= width
    for header in ("episodes_ci95_high", "episodes_ci95_low", "learned_share"):
        assert header in text  # never cut to "episo…"
    assert "…" not in text


def test_missing_values_read_as_a_dash_never_nan() -> None:
    text = _render(WIDE, 80)
    assert "nan" not in text.lower() and "–" in text


def test_a_table_that_fits_stays_as_it_is() -> None:
    small = WIDE[["population.walker.epsilon", "runs"]]
    text = _render(small, 80)
    header = next(line for line in text.splitlines() if "walker.epsilon" in line)
    assert "runs" in header  # columns side by side, not transposed


def test_many_settings_fall_back_to_one_block_each() -> None:
    many = pd.concat([WIDE] * 6, ignore_index=True)
    many["population.walker.epsilon"] = np.linspace(0.01, 0.9, len(many))
    text = _render(many, 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("study: summary:") == len(many)


def test_glossary_explains_shown_columns() -> None:
    lines = list(
        glossary_lines(
            ["model.layout", "episodes_mean", "share_left", "runs", "unexplained"],
            {"episodes_mean": "episodes until learned", "share_*": "share of the action"},
            swept=["model.layout"],
        )
    )
    assert lines == [
        "layout: swept parameter model.layout",
        "episodes_mean: episodes until learned",
        "share_left: share of the action",
        "runs: number of finished runs (seeds) behind the row's statistics",
    ]


def test_show_explain_in_80_columns(tmp_path: Path) -> None:
    study = write_toml(tmp_path / "shown.toml", tiny_study("shown"))
    run_study(study, out=tmp_path / "out", backend="sequential")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "socialrl.cli",
            "show",
            str(tmp_path / "out" / "shown"),
            "--explain",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80
    assert "nan" not in proc.stdout
    assert "learned_share: share of walkers whose greedy path became a shortest path" in (
        " ".join(proc.stdout.split())
    )
