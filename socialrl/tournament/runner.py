"""Play a checked tournament file and write its tables (what ``socialrl tournament`` does).

The tournament's seed is split once (``numpy.random.SeedSequence``) into the round robin's
stream and the Moran process's, so adding a ``[moran]`` section never changes the round
robin's results. Tables go to ``OUT/<name>/`` as Parquet and CSV, each written atomically
(:func:`socialrl.results.atomic_write`: a crash never leaves a half table that looks whole),
with ``tournament.json`` holding the spec, the seed and the wall time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from socialrl.results import atomic_write
from socialrl.tournament.moran import fixation_table
from socialrl.tournament.round_robin import TournamentResults, round_robin
from socialrl.tournament.spec import TournamentSpec

__all__ = ["TournamentRun", "run_tournament", "write_tables"]


@dataclass(frozen=True)
class TournamentRun:
    """A played tournament.

    Attributes:
        spec: What was played.
        results: The round robin's tables.
        fixation: The Moran process's fixation table (None without ``[moran]``).
        seconds: Wall time of play and Moran process.

    """

    spec: TournamentSpec
    results: TournamentResults
    fixation: pd.DataFrame | None
    seconds: float

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (``fixation`` last, when there is one)."""
        tables = self.results.tables()
        if self.fixation is not None:
            tables["fixation"] = self.fixation
        return tables


def run_tournament(spec: TournamentSpec) -> TournamentRun:
    """Play the round robin of ``spec`` (and its Moran process)."""
    start = time.perf_counter()
    play_seed, moran_seed = np.random.SeedSequence(spec.seed).spawn(2)
    results = round_robin(spec.build_players(), spec.settings(), play_seed)
    fixation = None
    if spec.moran is not None:
        fixation = fixation_table(
            results.names, results.payoff_matrix(), spec.moran.build(), moran_seed
        )
    return TournamentRun(spec, results, fixation, time.perf_counter() - start)


def write_tables(run: TournamentRun, out: str | Path) -> list[Path]:
    """Write every table as ``<name>.parquet`` and ``<name>.csv`` in ``OUT/<spec name>/``."""
    folder = Path(out) / run.spec.name
    written = []
    for name, table in run.tables().items():
        written.append(atomic_write(folder / f"{name}.parquet", _writer(table, "parquet")))
        written.append(atomic_write(folder / f"{name}.csv", _writer(table, "csv")))
    meta = {
        "spec": run.spec.model_dump(mode="json", exclude_unset=True),
        "seed": run.spec.seed,
        "seconds": round(run.seconds, 3),
        "tables": list(run.tables()),
    }
    text = json.dumps(meta, indent=2, ensure_ascii=False)
    written.append(atomic_write(folder / "tournament.json", lambda p: p.write_text(text)))
    return written


def _writer(table: pd.DataFrame, kind: str) -> Callable[[Path], None]:
    """What :func:`atomic_write` calls to write ``table`` to its temp file."""

    def write(path: Path) -> None:
        if kind == "parquet":
            table.to_parquet(path, index=False)
        else:
            table.to_csv(path, index=False)

    return write
