"""The app's view of a bandit study, built from the app's view toolkit."""

import streamlit as st

from socialrl.app.views.common import table_or_message

TITLE = "Bandit: how often the gamblers win"


def render(study) -> None:
    """The win rate over time, every run."""
    steps = table_or_message(study, "steps", "the runs recorded no steps")
    if steps is not None:
        st.metric("mean win rate", f"{steps['win_rate'].mean():.2f}")
        st.line_chart(steps, x="step", y="win_rate", color="run_id")
