"""Studies: sweeps × seeds of runs, on local processes or a Ray cluster, durable and resumable.

Write a study (TOML or Python, :mod:`socialrl.study.spec`), run it (:func:`run_study`, or
``socialrl run``), read it back (:func:`load_results`).
"""

from socialrl.run.settings import RunSettings
from socialrl.study.design import RunConfig, expand
from socialrl.study.results import StudyResults, load_results
from socialrl.study.runner import StudyReport, plan_study, run_study
from socialrl.study.spec import (
    GroupSpec,
    ModelSpec,
    SpecError,
    StudySpec,
    SweepSpec,
    load_study,
    parse_study,
)
from socialrl.study.store import ResultsError, StudyLockedError

__all__ = [
    "GroupSpec",
    "ModelSpec",
    "ResultsError",
    "RunConfig",
    "RunSettings",
    "SpecError",
    "StudyLockedError",
    "StudyReport",
    "StudyResults",
    "StudySpec",
    "SweepSpec",
    "expand",
    "load_results",
    "load_study",
    "parse_study",
    "plan_study",
    "run_study",
]
