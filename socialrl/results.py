"""Tidy result tables and their files.

One run gives three long ("tidy") tables, one row per observation, identified by key
columns (``step``, ``agent``, ``episode``…) rather than a pandas index:

- ``steps``: one row per recorded step — model reporters, rewards, learner diagnostics;
- ``episodes``: one row per finished episode of each agent — length, return, how it ended;
- ``agents``: per-agent snapshots — the model's agent reporters and policy evaluations;

and any **extra tables** a model writes at the end of a run (its ``final_tables``, declared by
:class:`socialrl.capabilities.EndOfRunTables`): the pricing market's per-market outcomes and
impulse responses, for instance. A study stacks the runs' tables with their parameters
(:mod:`socialrl.study.tables`); ``docs/architecture.md`` shows where they sit in the data path.

Files are written atomically (a temp file, then a rename), so a crash never leaves a half
table that looks whole.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["TABLES", "Results", "atomic_write", "check_table_name"]

TABLES = ("steps", "episodes", "agents")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_table_name(name: str) -> str:
    """An extra table's name: lower-case letters, digits and ``_``, not a standard table's.

    Names become file names (``<name>.parquet``), so nothing else is allowed in them.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in ("runs", "meta"):
        raise ValueError(
            f"table name {name!r} must be lower-case letters, digits and '_' (starting with a "
            "letter, at most 64 characters) and not 'runs' or 'meta'"
        )
    return name


def atomic_write(path: Path, write: Any) -> Path:
    """Call ``write(tmp_path)`` then rename the temp file onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


@dataclass
class Results:
    """The tables of one run and what produced them.

    Attributes:
        steps: Recorded steps (``step`` plus one column per reporter).
        episodes: Finished episodes (``role, agent, episode, end_step, length, return,
            terminated``).
        agents: Per-agent snapshots (``step, role, group, agent`` plus reporters).
        meta: Seed, model, parameters, population, timings.
        extra: The model's own end-of-run tables, by name.

    """

    steps: pd.DataFrame
    episodes: pd.DataFrame
    agents: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.extra:
            if name in TABLES:
                raise ValueError(f"extra table {name!r} would replace the standard table")
            check_table_name(name)

    def tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """``(name, table)`` pairs: the three standard tables, then the extra ones."""
        for name in TABLES:
            yield name, getattr(self, name)
        yield from self.extra.items()

    def to_parquet(self, directory: str | Path) -> list[Path]:
        """Write ``steps.parquet``, ``episodes.parquet``, ``agents.parquet`` and ``meta.json``."""
        return self._write(Path(directory), "parquet")

    def to_csv(self, directory: str | Path) -> list[Path]:
        """Write the tables as CSV files (and ``meta.json``)."""
        return self._write(Path(directory), "csv")

    @classmethod
    def read(cls, directory: str | Path) -> Results:
        """Read tables written by :meth:`to_parquet` or :meth:`to_csv`."""
        directory = Path(directory)
        tables: dict[str, pd.DataFrame] = {}
        for name in TABLES:
            parquet, csv = directory / f"{name}.parquet", directory / f"{name}.csv"
            if parquet.exists():
                tables[name] = pd.read_parquet(parquet)
            elif csv.exists():
                tables[name] = pd.read_csv(csv)
            else:
                raise FileNotFoundError(f"{directory} has no {name}.parquet or {name}.csv")
        extra: dict[str, pd.DataFrame] = {}
        for path in sorted(directory.glob("*.parquet")) + sorted(directory.glob("*.csv")):
            name = path.stem
            if name in TABLES or name in extra or not _NAME.fullmatch(name):
                continue
            extra[name] = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        meta_path = directory / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        return cls(meta=meta, extra=extra, **tables)

    def _write(self, directory: Path, fmt: str) -> list[Path]:
        paths = []
        for name, table in self.tables():
            target = directory / f"{name}.{fmt}"
            if fmt == "parquet":
                paths.append(atomic_write(target, lambda p, t=table: t.to_parquet(p, index=False)))
            else:
                paths.append(atomic_write(target, lambda p, t=table: t.to_csv(p, index=False)))
        meta = json.dumps(self.meta, indent=2, default=str)
        paths.append(atomic_write(directory / "meta.json", lambda p: p.write_text(meta)))
        return paths
