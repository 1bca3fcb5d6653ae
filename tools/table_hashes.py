"""SHA-256 of every table of a set of studies: proof that a change altered no result.

A restructuring promises "no behaviour change". This script runs the demo studies, the
coordination studies and one small study per learner family into a scratch folder and prints
one hash per table (content, column names and dtypes; not the file bytes, which carry library
versions, nor the run-time columns ``seconds``, ``started``, ``finished``, ``host``...). Run it
before the change with ``--save tools/table_hashes.json`` and after it with
``--compare tools/table_hashes.json``: every difference is listed, table by table.

    python tools/table_hashes.py --save tools/table_hashes.json
    python tools/table_hashes.py --compare tools/table_hashes.json

A change that renames or regroups a model's parameters (the coordination model's flat
``width``/``height`` became one ``structure`` table) changes every run id, since ids hash the
parameters. ``--by-point`` then identifies each run by its sweep point and replication instead
and leaves the parameter columns out, so the hashes say whether the same runs computed the
same numbers: save them with the old code, compare with the new.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from socialrl.study import load_results, run_study

ROOT = Path(__file__).resolve().parent.parent
STUDIES = [
    ROOT / "studies" / "maze_learning.toml",
    ROOT / "studies" / "calvano2020_demo.toml",
    ROOT / "studies" / "conventions.toml",
    ROOT / "studies" / "stag_hunt.toml",
    ROOT / "studies" / "spatial_dilemma.toml",
    *sorted((ROOT / "tools" / "hash_studies").glob("*.toml")),
]
#: Columns that record when, where and how fast a run went, not what it computed.
VOLATILE = {"seconds", "started", "finished", "host", "hostname", "pid", "worker", "traceback"}


#: Parameter columns, which ``--by-point`` leaves out (they spell the sweep point).
PARAMETERS = ("model.", "population.", "run.")


def table_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's columns, dtypes and values, rows in their stored order."""
    frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE])
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    if len(frame.columns):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def by_point(frame: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with run ids replaced by (point, replication) and no parameter columns."""
    keys = runs.set_index("run_id")[["point", "replication"]]
    if "point" not in frame.columns:
        frame = frame.join(keys[[c for c in keys.columns if c not in frame.columns]], on="run_id")
    frame = frame.drop(
        columns=[c for c in frame.columns if c == "run_id" or c.startswith(PARAMETERS)]
    )
    order = [c for c in ("point", "replication", "step", "agent", "episode") if c in frame.columns]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def study_hashes(spec: Path, out: Path, workers: int, point_keyed: bool = False) -> dict[str, str]:
    """Run one study into ``out`` and hash each of its tables."""
    run_study(spec, out=out, workers=workers)
    results = load_results(out / _study_name(spec))
    status = results.status()
    if status["failed"] or status["pending"]:
        print(f"  {spec.stem}: runs {status} (not all done: their errors hash too)")
    tables = {"runs": results.runs.sort_values("run_id").reset_index(drop=True)}
    for name in results.table_names:
        tables[name] = results.table(name)
    if point_keyed:
        tables = {name: by_point(frame, results.runs) for name, frame in tables.items()}
    return {name: table_hash(frame) for name, frame in sorted(tables.items())}


def _study_name(spec: Path) -> str:
    import tomllib

    return str(tomllib.loads(spec.read_text())["name"])


def main() -> int:
    """Hash, and save or compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="write the hashes to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare with hashes saved earlier")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--by-point",
        action="store_true",
        help="key runs by sweep point and replication, not run id (see the module docstring)",
    )
    parser.add_argument("--only", nargs="*", help="study file stems to run (default: all)")
    args = parser.parse_args()
    specs = [s for s in STUDIES if not args.only or s.stem in args.only]
    hashes: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for spec in specs:
            started = time.perf_counter()
            hashes[spec.stem] = study_hashes(spec, Path(scratch), args.workers, args.by_point)
            print(
                f"{spec.stem}: {len(hashes[spec.stem])} tables, "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
    if args.save:
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    if args.compare:
        saved = json.loads(args.compare.read_text())
        differ = 0
        for study, tables in hashes.items():
            for name, value in tables.items():
                before = saved.get(study, {}).get(name)
                same = before == value
                differ += not same
                print(
                    f"{'same   ' if same else 'DIFFERS'} {study}/{name}"
                    + ("" if before else " (not in the saved hashes)")
                )
        print(f"{differ} of {sum(map(len, hashes.values()))} tables differ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
