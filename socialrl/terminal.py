"""Result tables in a terminal: readable at 80 columns, with the meaning of each column.

A study's summary has many columns (``episodes_ci95_low``…) and a few rows (its settings). Drawn
as a plain table it is cut to ``episo…`` on an 80-column terminal. :func:`layout` picks the
first form that fits the console: the table as it is; transposed (one column per setting,
one row per measure); or one small block per setting. Missing values read ``–`` (a
convention never reached, a mean over nothing), never ``nan``.

``socialrl show --explain`` adds :func:`~socialrl.app.labels.glossary_lines`: the model
plugin's glossary and the engine's own words for the columns every summary shares.
"""

from __future__ import annotations

import pandas as pd
from rich.console import Console, RenderableType
from rich.table import Table

from socialrl.app.labels import column_label, glossary_lines, value_label

__all__ = ["glossary_lines", "layout"]


def layout(table: pd.DataFrame, title: str, width: int) -> list[RenderableType]:
    """The table as it is, transposed, or one block per row: the first that fits ``width``."""
    cells = [[value_label(v) for v in row] for row in table.itertuples(index=False)]
    headers = [column_label(str(c)) for c in table.columns]
    wide = _table(headers, cells, title)
    if _width(wide) <= width:
        return [wide]
    names = [_row_name(table, k) for k in range(len(table))]
    transposed = _table(
        ["", *names], [[h, *(row[i] for row in cells)] for i, h in enumerate(headers)], title
    )
    if _width(transposed) <= width:
        return [transposed]
    return [
        _table(["", ""], [[h, v] for h, v in zip(headers, row, strict=True)], f"{title}: {name}")
        for name, row in zip(names, cells, strict=True)
    ]


def _table(headers: list[str], rows: list[list[str]], title: str) -> Table:
    table = Table(*headers, title=title, title_justify="left")
    for row in rows:
        table.add_row(*row)
    return table


def _width(table: Table) -> int:
    """The width ``table`` needs drawn without wrapping any cell."""
    console = Console(width=10_000)
    return console.measure(table).maximum


def _row_name(table: pd.DataFrame, k: int) -> str:
    """A row's setting in a few words: its text and parameter cells, else its number."""
    row = table.iloc[k]
    keys = [
        value_label(row[c])
        for c in table.columns
        if str(c).startswith(("model.", "population.", "run.")) or str(c) in ("group", "tau")
    ]
    return ", ".join(keys)[:28] if keys else f"row {k + 1}"
