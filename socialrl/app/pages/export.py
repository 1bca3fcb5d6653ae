"""Export: any table of the chosen study, filtered, as CSV or Parquet.

Filters: the values of each swept parameter, run status (``runs`` table), a range of the time
column, and the columns to keep. The file is made when the button is clicked (large tables are
not written into the page in advance).
"""

from __future__ import annotations

import io
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from socialrl.app import derived, ui
from socialrl.app.data import StudyError, distinct_values
from socialrl.app.labels import column_label, value_label

PREVIEW_ROWS = 500


def filter_frame(frame: pd.DataFrame, swept: list[str], key: str) -> pd.DataFrame:
    """Draw the filters and apply them."""
    mask = pd.Series(True, index=frame.index)
    columns = st.columns(max(1, len(swept) + 1))
    for column, parameter in zip(columns, [p for p in swept if p in frame.columns], strict=False):
        values = distinct_values(frame[parameter])
        with column:
            chosen = st.multiselect(
                column_label(parameter),
                range(len(values)),
                default=list(range(len(values))),
                format_func=_labeller(values),
                key=f"{key}_{parameter}",
            )
        mask &= frame[parameter].isin([values[i] for i in chosen])
    if "status" in frame.columns:
        with columns[-1]:
            statuses = sorted(frame["status"].dropna().unique())
            keep = st.multiselect("status", statuses, default=statuses, key=f"{key}_status")
        mask &= frame["status"].isin(keep)
    times = derived.time_columns(frame)
    if times and len(frame):
        time = times[0]
        lo, hi = int(frame[time].min()), int(frame[time].max())
        if hi > lo:
            low, high = st.slider(f"{time} range", lo, hi, (lo, hi), key=f"{key}_{time}")
            mask &= frame[time].between(low, high)
    out = frame[mask]
    with st.expander("Columns"):
        keep_columns = st.multiselect(
            "Columns to keep",
            list(frame.columns),
            default=list(frame.columns),
            key=f"{key}_columns",
        )
    return out[[c for c in frame.columns if c in keep_columns]]


def _labeller(values: list[Any]) -> Any:
    def label(i: int) -> str:
        return value_label(values[i])

    return label


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


#: Download formats: file suffix → (button label, MIME type, encoder).
FORMATS = {
    "csv": ("CSV", "text/csv", _csv),
    "parquet": ("Parquet", "application/vnd.apache.parquet", _parquet),
}


def render() -> None:
    """The Export page."""
    st.title("Export")
    study = ui.selected_study()
    if study is None:
        return
    info = study.info()
    names = ["runs", *info["table_names"]]
    table = st.selectbox("Table", names, index=names.index("steps"), key="export_table")
    try:
        loaded = study.table(table)
    except StudyError as err:
        st.error(str(err))
        return
    ui.notes(loaded.notes)
    frame = loaded.frame
    filtered = filter_frame(frame, info["swept"], f"export_{table}")
    runs = filtered["run_id"].nunique() if "run_id" in filtered.columns else 0
    st.markdown(f"**{len(filtered):,}** of {len(frame):,} rows · {runs} runs")
    stem = f"{info['folder'] if info['folder'] != '.' else info['name']}_{table}"
    for column, (fmt, (label, mime, encode)) in zip(
        st.columns([1, 1, 2]), FORMATS.items(), strict=False
    ):
        with column:
            st.download_button(
                f"Download {label}",
                data=partial(encode, filtered),
                file_name=f"{stem}.{fmt}",
                mime=mime,
                on_click="ignore",
                icon=":material/download:",
                key=f"export_{fmt}",
            )
    st.dataframe(filtered.head(PREVIEW_ROWS), hide_index=True, width="stretch")
    if len(filtered) > PREVIEW_ROWS:
        st.caption(f"Preview: the first {PREVIEW_ROWS} rows; the files hold all of them.")


if __name__ == "__main__":
    render()
