"""How column names and parameter values read on screen.

Result tables name parameters by their sweep paths (``population.walker.epsilon``) and store
schedule tables as JSON text (``{"kind": "linear", "start": 1.0, …}``): exact, but long in a
legend. The app shows ``walker.epsilon`` and ``linear(start=1, end=0.05, steps=3000)``.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "COMMON_GLOSSARY",
    "KEY_COLUMNS",
    "MISSING",
    "column_label",
    "glossary_lines",
    "value_label",
]

#: How a missing value reads.
MISSING = "–"

#: Columns that identify rows rather than measure anything.
KEY_COLUMNS = (
    "run_id",
    "replication",
    "seed",
    "point",
    "sample",
    "status",
    "error",
    "traceback",
)


def column_label(column: str) -> str:
    """``model.layout`` → ``layout``; ``population.walker.epsilon`` → ``walker.epsilon``."""
    for prefix in ("model.", "population.", "run.", "final."):
        if column.startswith(prefix):
            return column.removeprefix(prefix)
    return column


def value_label(value: Any) -> str:
    """A value on screen: 4 significant digits, schedules as ``kind(k=v, …)``, missing as ``–``.

    Missing (None, NaN) reads ``–``: in a summary it means "not reached" or "nothing to
    average", never a number called ``nan``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str) and value.startswith("{"):
        try:
            table = json.loads(value)
        except json.JSONDecodeError:
            return value
        if isinstance(table, dict):
            kind = table.pop("kind", "")
            inner = ", ".join(f"{k}={value_label(v)}" for k, v in table.items())
            return f"{kind}({inner})"
    if isinstance(value, str) and "\n" in value:
        return value.strip().splitlines()[0] + " …"  # an ASCII maze: its first line
    return str(value)


#: Columns that many summaries share; a plugin's glossary adds and overrides.
COMMON_GLOSSARY: Mapping[str, str] = {
    "group": "the setting: 'all' when the study sweeps nothing",
    "runs": "number of finished runs (seeds) behind the row's statistics",
    "n": "number of observations behind the row's statistics",
    "*_mean": "mean across the row's runs (each run contributes one value)",
    "*_sd": "standard deviation across the row's runs",
    "*_ci95_low": "lower end of the 95% confidence interval of the mean (Student t over runs)",
    "*_ci95_high": "upper end of the 95% confidence interval of the mean (Student t over runs)",
}


def glossary_lines(
    columns: list[str], glossary: Mapping[str, str], swept: list[str]
) -> Iterator[str]:
    """``column: meaning`` for each shown column that has one (swept parameters say so)."""
    words = {**COMMON_GLOSSARY, **glossary}
    for column in columns:
        if column in swept:
            yield f"{column_label(column)}: swept parameter {column}"
            continue
        meaning = words.get(column) or next(
            (text for pattern, text in words.items() if fnmatch.fnmatchcase(column, pattern)), None
        )
        if meaning:
            yield f"{column}: {meaning}"
