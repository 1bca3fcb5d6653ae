"""Studies: every study below the results folder, and the chosen one in detail.

The chosen study opens with its answer: the model's summary table (the one ``socialrl show``
prints), each column explained by the model plugin's glossary. Then its status (complete,
partial — runs still pending —, failed runs, broken), runs done/failed/pending/damaged, the
parameters swept and their values, runtime, and the manifest (spec, versions, git commit,
host, times). Failed runs show their error and traceback, as recorded.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from socialrl.app import ui
from socialrl.app.data import describe_time, single_runs
from socialrl.app.labels import column_label, glossary_lines, value_label


def overview(found: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per study for the overview table."""
    rows = []
    for entry in found:
        status = entry.get("status", {})
        rows.append(
            {
                "study": entry.get("name", entry["folder"]),
                "state": entry["state"],
                "model": entry.get("model", ""),
                "done": status.get("done"),
                "failed": status.get("failed"),
                "pending": status.get("pending"),
                "swept": ", ".join(column_label(k) for k in entry.get("swept", [])),
                "runtime": _duration(entry.get("runtime_s")),
                "updated": describe_time(entry.get("updated")),
                "problem": entry["message"],
            }
        )
    return pd.DataFrame(rows)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def details() -> None:
    """The selected study: counts, swept values, failures, manifest and runs."""
    study = ui.selected_study()
    if study is None:
        return
    info = study.info()
    st.subheader(f"{info['name']} — model {info['model']}")
    if info["description"]:
        st.caption(info["description"])
    answer(study, info["swept"])
    status = info["status"]
    a, b, c, d = st.columns(4)
    a.metric("runs done", status["done"], help=f"of {info['runs']}")
    b.metric("failed", status["failed"])
    c.metric("pending", status["pending"])
    d.metric("runtime (sum over runs)", _duration(info["runtime_s"]))
    if status.get("damaged"):
        st.warning(
            f"{status['damaged']} finished run(s) cannot be read (a damaged run.json or table) "
            "and are left out of every page: run the study again to redo them."
        )
    if status["pending"]:
        st.warning(
            f"{status['pending']} of {info['runs']} runs have no results yet: the study is "
            "running, or was interrupted (run it again to resume). Pages show finished runs."
        )
    if info["swept"]:
        st.markdown("**Swept parameters**")
        st.table(
            pd.DataFrame(
                {
                    "parameter": [column_label(k) for k in info["swept"]],
                    "values": [
                        ", ".join(value_label(v) for v in info["swept_values"].get(k, []))
                        for k in info["swept"]
                    ],
                }
            )
        )
    else:
        st.markdown("**Swept parameters**: none (replications only)")
    st.markdown(
        f"**Tables**: {', '.join(info['table_names'])} · **learners**: "
        f"{', '.join(info['learners'])} · **created** {describe_time(info['created'])} · "
        f"**updated** {describe_time(info['updated'])}"
    )
    runs = study.runs()
    failed = runs[runs["status"] == "failed"]
    if len(failed):
        with st.expander(f"Failed runs ({len(failed)})", expanded=True):
            for _, row in failed.head(20).iterrows():
                st.markdown(f"**run {row['run_id']}** (seed {row['seed']}): {row['error']}")
                if isinstance(row.get("traceback"), str):
                    st.code(row["traceback"], language="text")
    with st.expander("Manifest (spec, versions, git commit, host, times)"):
        st.json(info["manifest"], expanded=2)
    with st.expander("Runs"):
        shown = runs.drop(columns=["traceback"], errors="ignore")
        st.dataframe(shown, hide_index=True, width="stretch")


def answer(study: Any, swept: list[str]) -> None:
    """The study's headline table first (``socialrl show``), each column explained on hover."""
    headline = study.headline()
    if headline.problem:
        st.warning(headline.problem)
    for title, table in headline.tables.items():
        st.markdown(f"**The study's answer — {title}** (the table `socialrl show` prints)")
        columns = [str(c) for c in table.columns]
        meanings = dict(
            line.split(": ", 1) for line in glossary_lines(columns, headline.glossary, swept)
        )
        shown = table.rename(columns={c: column_label(str(c)) for c in table.columns})
        config = {
            column_label(c): st.column_config.Column(help=meanings.get(column_label(c)))
            for c in columns
        }
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
        with st.expander("What the columns mean"):
            for column in columns:
                meaning = meanings.get(column_label(column))
                if meaning:
                    st.markdown(f"- `{column_label(column)}`: {meaning}")


def render() -> None:
    """The Studies page."""
    st.title("Studies")
    root = ui.current_root()
    found = ui.studies()
    st.caption(f"Results folder: `{root}`")
    for folder in single_runs(root):
        st.info(
            f"`{folder}` holds the tables of one `simulate(...)` run (written by "
            f"`Results.to_parquet`), not a study: read them with "
            f"`socialrl.Results.read({str(root / folder)!r})`. The app shows studies "
            "(`socialrl run STUDY.toml`)."
        )
    if not found:
        st.info(
            f"No studies in {root} yet. Run one with `socialrl run studies/maze_learning.toml` "
            "or on the Run page."
        )
        return
    st.dataframe(overview(found), hide_index=True, width="stretch")
    for entry in found:
        if entry["state"] == "broken":
            st.error(f"{entry['folder']}: {entry['message']}")
    details()


if __name__ == "__main__":
    render()
