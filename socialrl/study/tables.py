"""Stacking one table of every finished run of a study, with the runs' keys as columns.

This is the one table loader: :meth:`StudyResults.table <socialrl.study.StudyResults.table>`
and the app (:mod:`socialrl.app.data`, which caches on top) both call :func:`stack_runs`.

It is built for large tables (a million rows of ``steps``): one PyArrow read per run, on a
few threads (Parquet decoding releases the GIL), one concatenation in Arrow and one
conversion to pandas; then each run's keys (``run_id``, ``replication``, ``seed``,
parameters) are spread over its rows by run index — a ``take`` per key column, not a merge
that hashes a million run ids. With ``categorical=True`` text keys become categoricals (one
small dictionary and an integer per row rather than a string per row), as the app wants;
without, they keep the runs table's own values and dtypes, as ``StudyResults`` promises.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from socialrl.results import TABLES
from socialrl.study.store import StudyStore

__all__ = ["READ_ERRORS", "StackedTable", "describe_error", "stack_runs"]

#: What reading one run's Parquet file may raise (a missing, truncated or corrupt file).
READ_ERRORS = (OSError, ValueError, pa.ArrowException)
_READ_THREADS = 4


@dataclass(frozen=True)
class StackedTable:
    """One table of a study's finished runs.

    Attributes:
        frame: The runs' rows, ``run_id`` first, their keys as the last columns.
        unreadable: ``"<run id>: <why>"`` for each finished run whose file could not be read
            (left out of ``frame``).
        runs: Number of runs whose rows are in ``frame``.

    """

    frame: pd.DataFrame
    unreadable: tuple[str, ...]
    runs: int


def describe_error(err: BaseException) -> str:
    """The first line of an error, with its type (pydantic errors run over many lines)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def stack_runs(
    store: StudyStore,
    runs: pd.DataFrame,
    name: str,
    keys: Sequence[str],
    *,
    categorical: bool,
) -> StackedTable:
    """Table ``name`` of the given runs, stacked in their order, with their keys as columns.

    A standard table (``steps``, ``episodes``, ``agents``) missing from a finished run makes
    the run unreadable; a model's extra table missing from a run means the run did not write
    one (its rows are simply absent).

    Args:
        store: The study's folder.
        runs: The finished runs: ``run_id`` and the ``keys`` columns, one row per run.
        name: The table.
        keys: Per-run columns to attach after the table's own (``replication``, ``seed``…).
        categorical: Attach text keys (and ``run_id``) as categoricals.

    Raises:
        pyarrow.ArrowException: the runs' tables have columns of incompatible types.

    """
    runs = runs.reset_index(drop=True)
    required = name in TABLES

    def read(run_id: str) -> pa.Table | str | None:
        path = store.table_path(run_id, name)
        if not path.exists():
            return f"{run_id}: no {name}.parquet" if required else None
        try:
            return pq.read_table(path)
        except READ_ERRORS as err:
            return f"{run_id}: {describe_error(err)}"

    with ThreadPoolExecutor(_READ_THREADS) as pool:
        parts = list(pool.map(read, runs["run_id"]))
    keep = [i for i, part in enumerate(parts) if isinstance(part, pa.Table)]
    unreadable = tuple(part for part in parts if isinstance(part, str))
    tables: list[pa.Table] = [parts[i] for i in keep]
    if not tables:
        return StackedTable(pd.DataFrame(columns=["run_id"]), unreadable, 0)
    frame = _concat(tables).to_pandas()
    codes = np.repeat(np.arange(len(keep)), [t.num_rows for t in tables])
    kept = runs.iloc[keep].reset_index(drop=True)
    frame.insert(0, "run_id", _spread(kept["run_id"], codes, categorical))
    for column in keys:
        frame[column] = _spread(kept[column], codes, categorical)
    return StackedTable(frame, unreadable, len(keep))


def _concat(tables: list[pa.Table]) -> pa.Table:
    """The runs' tables stacked; columns whose types differ between runs are reconciled.

    Arrow promotes what it can (an integer column beside a float one, a null column beside
    anything). Runs written by another version of a model may still disagree — a yes/no
    column that was ``bool`` in some runs and all-NaN ``double`` in others — and a study must
    not become unreadable for it: such a column is read as ``float64`` (1.0/0.0/NaN) where
    every version is numeric or boolean, else as text.
    """
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    types: dict[str, set[pa.DataType]] = {}
    for table in tables:
        for field in table.schema:
            types.setdefault(field.name, set()).add(field.type)
    target = {}
    for name, found in types.items():
        if len(found) > 1:
            numeric = all(_is_number_like(t) for t in found)
            target[name] = pa.float64() if numeric else pa.string()

    def cast(table: pa.Table) -> pa.Table:
        for name, kind in target.items():
            if name in table.column_names:
                i = table.column_names.index(name)
                table = table.set_column(i, name, table.column(name).cast(kind))
        return table.replace_schema_metadata(None)

    return pa.concat_tables([cast(t) for t in tables], promote_options="permissive")


def _is_number_like(kind: pa.DataType) -> bool:
    """Whether a column of this type reads as numbers (booleans as 1 and 0, nulls as NaN)."""
    t = pa.types
    return bool(t.is_boolean(kind) or t.is_floating(kind) or t.is_integer(kind) or t.is_null(kind))


def _spread(per_run: pd.Series, codes: np.ndarray, categorical: bool) -> Any:
    """A per-run column over the runs' rows (``codes``: each row's run index).

    Numbers stay numbers; other values keep the runs table's dtype (pandas would infer one
    from a bare array), or become a categorical of their text (``None`` stays missing).
    """
    if (
        not categorical
        or pd.api.types.is_numeric_dtype(per_run)
        or pd.api.types.is_bool_dtype(per_run)
    ):
        return pd.Series(per_run.array.take(codes), dtype=per_run.dtype)
    category = pd.Categorical(per_run.map(lambda v: v if v is None else str(v)))
    return pd.Categorical.from_codes(category.codes[codes], dtype=category.dtype)
