"""Model views: the pictures each model's researchers look for (see :mod:`socialrl.app.views`).

The view is the one the study's model declares in its plugin; a model without a view is
pointed to Explore.
"""

from __future__ import annotations

import streamlit as st

from socialrl.app import ui
from socialrl.app.data import StudyError
from socialrl.app.views import view_for, viewed_models


def render() -> None:
    """The Model views page."""
    study = ui.selected_study()
    if study is None:
        st.title("Model views")
        return
    info = study.info()
    view = view_for(info["model"])
    if view is None:
        st.title("Model views")
        st.info(
            f"There is no view for model {info['model']!r} yet (views: "
            f"{', '.join(viewed_models())}); the Explore page draws any study."
        )
        return
    st.title(view.TITLE)
    st.caption(f"Study {info['name']} · model {info['model']}")
    if info["status"]["done"] == 0:
        st.warning("This study has no finished run yet: nothing to show.")
        return
    try:
        view.render(study)
    except StudyError as err:
        st.error(str(err))


if __name__ == "__main__":
    render()
