"""How column names and parameter values read on screen.

Result tables name parameters by their sweep paths (``population.walker.epsilon``) and store
schedule tables as JSON text (``{"kind": "linear", "start": 1.0, …}``): exact, but long in a
legend. The app shows ``walker.epsilon`` and ``linear(start=1, end=0.05, steps=3000)``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["KEY_COLUMNS", "column_label", "value_label"]

#: Columns that identify rows rather than measure anything.
KEY_COLUMNS = ("run_id", "replication", "seed", "point", "status", "error", "traceback")


def column_label(column: str) -> str:
    """``model.layout`` → ``layout``; ``population.walker.epsilon`` → ``walker.epsilon``."""
    for prefix in ("model.", "population.", "run.", "final."):
        if column.startswith(prefix):
            return column.removeprefix(prefix)
    return column


def value_label(value: Any) -> str:
    """A parameter value for a legend: 4 significant digits, schedules as ``kind(k=v, …)``."""
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
