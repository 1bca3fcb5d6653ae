"""Cached analyses of a study's design for the Sensitivity page: indices, points and PRIM boxes.

They are :meth:`StudyResults.sensitivity <socialrl.study.StudyResults.sensitivity>`,
:func:`~socialrl.study.scenarios.design_points` and :meth:`StudyResults.scenarios
<socialrl.study.StudyResults.scenarios>` — the same tables ``socialrl show --sensitivity`` and
a notebook get — cached on the study's path, file signature and the page's choices, with
their refusals turned into :class:`~socialrl.app.data.StudyError` messages for the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from socialrl.app.data import Study, StudyError
from socialrl.study import load_results
from socialrl.study.scenarios import ScenarioError, Scenarios, design_points
from socialrl.study.sensitivity import SensitivityError

__all__ = ["design_kind", "indices", "points", "scenarios"]


def design_kind(study: Study) -> str | None:
    """The sampled design's method (``sobol``, ``morris``, ``lhs``…), None for a grid."""
    sample = study.info()["manifest"].get("spec", {}).get("sweep", {}).get("sample")
    return None if not sample else str(sample.get("method"))


@st.cache_data(show_spinner=False, max_entries=32)
def _indices(path: str, sig: tuple[int, int, int], outcome: str, method: str, table: str,
             per_run: str) -> pd.DataFrame:  # fmt: skip
    try:
        return load_results(Path(path)).sensitivity(outcome, method, table, per_run)
    except (SensitivityError, KeyError) as err:
        raise StudyError(str(err)) from None


def indices(study: Study, outcome: str, method: str, table: str, per_run: str) -> pd.DataFrame:
    """Sensitivity indices of ``outcome`` (one row per sampled parameter, per grid point)."""
    return _indices(str(study.path), study.signature(), outcome, method, table, per_run)


@st.cache_data(show_spinner=False, max_entries=32)
def _points(path: str, sig: tuple[int, int, int], outcome: str, table: str,
            per_run: str) -> pd.DataFrame:  # fmt: skip
    try:
        return design_points(load_results(Path(path)), outcome, table, per_run)
    except (ScenarioError, KeyError) as err:
        raise StudyError(str(err)) from None


def points(study: Study, outcome: str, table: str, per_run: str) -> pd.DataFrame:
    """One row per design point: its varied parameters and mean ``outcome``."""
    return _points(str(study.path), study.signature(), outcome, table, per_run)


@st.cache_data(show_spinner=False, max_entries=32)
def _scenarios(path: str, sig: tuple[int, int, int], outcome: str, options: tuple[Any, ...]
               ) -> Scenarios:  # fmt: skip
    try:
        return load_results(Path(path)).scenarios(outcome, **dict(options))
    except (ScenarioError, KeyError) as err:
        raise StudyError(str(err)) from None


def scenarios(study: Study, outcome: str, **options: Any) -> Scenarios:
    """PRIM boxes of the design points where ``outcome`` is above or below a value."""
    return _scenarios(str(study.path), study.signature(), outcome, tuple(sorted(options.items())))
