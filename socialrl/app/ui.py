"""What every page shares: the sidebar (results folder, study), and how problems are shown.

The sidebar is drawn by the entry script before the page runs, so the chosen folder and study
stay the same from page to page; the study is also kept in the URL (``?study=NAME``), so a
link to a page opens on the same study.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from socialrl.app import PAGES
from socialrl.app.data import Study, StudyError, find_studies, open_study
from socialrl.app.paths import OutsideRootError, choose_root, launch_root

__all__ = ["current_root", "notes", "page", "selected_study", "sidebar", "studies"]

ROOT_KEY = "results_root"
STUDY_KEY = "study"


def current_root() -> Path:
    """The results folder chosen in the sidebar (the launch root until one is chosen)."""
    root = st.session_state.get("_root_path")
    return Path(root) if root else launch_root()


def studies() -> list[dict[str, Any]]:
    """Every study below the current root (see :func:`socialrl.app.data.find_studies`)."""
    return find_studies(current_root())


def sidebar() -> None:
    """Draw the results folder and study choosers; remember the choice in the session."""
    launch = launch_root()
    with st.sidebar:
        st.markdown("### socialrl")
        text = st.text_input(
            "Results folder",
            value=str(launch),
            key=ROOT_KEY,
            help="The folder the app was started on, or a folder below it.",
        )
        try:
            root = choose_root(text, launch)
        except OutsideRootError as err:
            st.error(str(err))
            root = launch
        st.session_state["_root_path"] = str(root)
        found = find_studies(root)
        folders = [s["folder"] for s in found]
        if not folders:
            st.info(f"No studies in {root} yet: run one (Run page or `socialrl run`).")
            st.session_state.pop(STUDY_KEY, None)
            return
        wanted = st.query_params.get(STUDY_KEY)
        launched = st.session_state.pop("_select_study", None)  # just written by the Run page
        if launched in folders:
            st.session_state[STUDY_KEY] = launched
        elif st.session_state.get(STUDY_KEY) not in folders:
            readable = [s["folder"] for s in found if s["state"] != "broken"] or folders
            st.session_state[STUDY_KEY] = wanted if wanted in folders else readable[0]
        if wanted and wanted not in folders:  # a link to a study that is not here: say so
            st.warning(
                f"There is no study {wanted!r} in {root}; showing "
                f"{st.session_state[STUDY_KEY]!r} instead."
            )
        labels = {s["folder"]: _label(s) for s in found}
        choice = st.selectbox(
            "Study", folders, key=STUDY_KEY, format_func=lambda f: labels.get(f, f)
        )
        st.query_params[STUDY_KEY] = choice


def _label(entry: dict[str, Any]) -> str:
    name = entry.get("name") or entry["folder"]
    if entry["folder"] == ".":
        name = f"{name} (this folder)"
    return name if entry["state"] == "complete" else f"{name} — {entry['state']}"


def selected_study() -> Study | None:
    """The study chosen in the sidebar, or None after saying on the page why there is none."""
    folder = st.session_state.get(STUDY_KEY)
    if folder is None:
        st.info("No study to show: choose a results folder with studies in the sidebar.")
        return None
    try:
        return open_study(current_root(), folder)
    except StudyError as err:
        st.error(str(err))
        return None


def notes(messages: tuple[str, ...] | list[str]) -> None:
    """Show a loaded table's notes (runs left out, …) as warnings."""
    for message in messages:
        st.warning(message)


def page(name: str) -> st.Page:
    """A page by its file name (``"studies"``), for links between pages."""
    return st.Page(PAGES / f"{name}.py")
