"""The app's frame: page set-up, the shared sidebar, and navigation between the pages.

``streamlit run`` executes the entry script (``app.py``, or the packaged
``socialrl/app/streamlit_app.py``) on every interaction; it calls :func:`main`, which draws
the sidebar and runs the page chosen in the navigation (``st.navigation``). Pages are files in
:data:`socialrl.app.PAGES`, so each has its own URL (``/explore``, ``/models``…).
"""

from __future__ import annotations

import streamlit as st

from socialrl.app import PAGES
from socialrl.app.ui import sidebar

__all__ = ["main", "pages"]


def pages() -> list[st.Page]:
    """The app's pages, in navigation order."""
    return [
        st.Page(PAGES / "studies.py", title="Studies", icon=":material/folder_open:", default=True),
        st.Page(PAGES / "explore.py", title="Explore", icon=":material/monitoring:"),
        st.Page(PAGES / "sensitivity.py", title="Sensitivity", icon=":material/tune:"),
        st.Page(PAGES / "crossplay.py", title="Cross-play", icon=":material/grid_view:"),
        st.Page(PAGES / "ratings.py", title="Ratings", icon=":material/leaderboard:"),
        st.Page(PAGES / "models.py", title="Model views", icon=":material/grid_on:"),
        st.Page(PAGES / "run.py", title="Run", icon=":material/play_arrow:"),
        st.Page(PAGES / "export.py", title="Export", icon=":material/download:"),
    ]


def main() -> None:
    """Draw the frame and run the current page."""
    st.set_page_config(page_title="socialrl", page_icon=":material/science:", layout="wide")
    page = st.navigation(pages())
    sidebar()
    page.run()
