"""Ratings: how strong a league's learner was over training, against anchors and its past.

Shows a study's ``ratings`` table (:mod:`socialrl.run.league`): one line per player — the
learner as it was at each rating step, the fixed anchors (random play, scripted strategies,
an exact solver) and, if chosen, the learner's earlier copies — as the openskill ordinal
(``μ − 3σ``) or ``μ`` over training steps. One run shows its ratings with ``± σ``; all runs
show the mean over runs with its 95% interval, n runs behind each point. The snapshots table
says which frozen snapshots the league opponent played and how the learner fared against them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from socialrl.app import ui
from socialrl.app.data import Study
from socialrl.app.ratings import VALUES, rating_curves, rating_figure

ALL_RUNS = "all runs (mean, 95% CI)"


def _players(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Every player (the learner first, then the anchors, then past copies) and the default."""
    kinds = {"learner": 0, "anchor": 1, "past": 2}
    found = frame[["player", "kind"]].drop_duplicates("player")
    found = found.assign(order=found["kind"].map(kinds)).sort_values(["order", "player"])
    every = [str(p) for p in found["player"]]
    shown = [str(p) for p, k in zip(found["player"], found["kind"], strict=True) if k != "past"]
    return every, shown


def _choices(frame: pd.DataFrame) -> tuple[pd.DataFrame, str, list[str]]:
    """The rows of the chosen group and run, the value to draw and the players."""
    a, b, c = st.columns([1, 1, 2])
    with a:
        groups = sorted(frame["group"].astype(str).unique())
        group = str(st.selectbox("Rated group", groups, key="ratings_group"))
        frame = frame[frame["group"].astype(str) == group]
    with b:
        runs = [ALL_RUNS, *sorted(frame["run_id"].astype(str).unique())]
        run = str(st.selectbox("Runs", runs, key="ratings_run"))
        if run != ALL_RUNS:
            frame = frame[frame["run_id"].astype(str) == run]
    with c:
        every, shown = _players(frame)
        players = st.multiselect("Players", every, default=shown, key="ratings_players")
    value = str(
        st.radio(
            "Rating",
            list(VALUES),
            format_func=lambda v: VALUES[v][0] + (f" {VALUES[v][1]}" if VALUES[v][1] else ""),
            horizontal=True,
            key="ratings_value",
        )
    )
    return frame, value, list(players)


def curve_section(frame: pd.DataFrame) -> pd.DataFrame:
    """The rating curve over training, with what stands behind it; the rows it drew from."""
    rows, value, players = _choices(frame)
    if not players:
        st.info("Choose at least one player.")
        return rows
    curves = rating_curves(rows, value, players)
    runs = int(rows["run_id"].nunique())
    band = ("95% CI" if runs > 1 else VALUES[value][1]) if len(curves) else None
    st.plotly_chart(rating_figure(curves, value, band), key="ratings_curve")
    label = VALUES[value][0]
    learner = curves[curves["kind"] == "learner"]
    games = (
        ""
        if learner.empty
        else (
            f" The learner is entered anew at every rating step and plays "
            f"{learner['games'].min():.0f}–{learner['games'].max():.0f} games there (hover a point "
            "for any player's games so far)."
        )
    )
    what = (
        f"Mean {label} over n = {runs} runs, with the 95% interval over runs"
        if runs > 1
        else f"{label} of one run" + (", with openskill's ± σ" if band else "")
    )
    st.caption(
        f"{what}, per rating step. Ratings are openskill's (Plackett–Luce, updated game by "
        "game) and relative to the pool: an anchor's line moves as the learners it meets "
        f"change.{games}"
    )
    return rows


def matches_section(study: Study, rows: pd.DataFrame) -> None:
    """Who met whom at each rating step, with the games won, drawn and lost (summed over runs)."""
    if not study.has_table("rating_matches"):
        return
    loaded = study.table("rating_matches")
    ui.notes(loaded.notes)
    frame = loaded.frame
    frame = frame[frame["run_id"].isin(rows["run_id"].unique())]
    frame = frame[frame["group"].astype(str).isin(rows["group"].astype(str).unique())]
    keys = ["step", "player", "opponent"]
    summed = frame.groupby(keys, observed=True)[["games", "wins", "draws", "losses"]].sum()
    summed["runs"] = frame.groupby(keys, observed=True)["run_id"].nunique()
    st.subheader("Evaluation matches")
    st.dataframe(summed.reset_index(), hide_index=True, width="stretch")
    st.caption(
        "Each rating step's matches, from the side of the player on the learner's agents "
        "(`learner`: the learner as it was then; anchors: their first games against each "
        "other), summed over the runs shown; a game is one episode of a pair of agents, won "
        "by the one whose rewards over it were larger."
    )


def snapshot_section(study: Study) -> None:
    """The league table: which snapshot played how often, and the learner's record."""
    if not study.has_table("league"):
        return
    loaded = study.table("league")
    ui.notes(loaded.notes)
    st.subheader("Snapshots")
    columns = ["run_id", "group", "learner", "snapshot", "step", "periods", "games", "wins",
               "draws", "losses", "p_win", "pfsp_weight"]  # fmt: skip
    st.dataframe(loaded.frame[columns], hide_index=True, width="stretch")
    st.caption(
        "One row per frozen snapshot of each run: the step it was taken at, the periods it "
        "played the league group, the learner's games against it in training (won, drawn, "
        "lost), its estimated chance to beat it (p_win: (wins + draws/2 + 1)/(games + 2)) and "
        "the weight prioritised fictitious self-play gives it, (1 − p_win)² normalised."
    )


def render() -> None:
    """The Ratings page."""
    st.title("Ratings")
    study = ui.selected_study()
    if study is None:
        return
    if not study.has_table("ratings"):
        st.info(
            "No ratings in this study. A league rates its learner over training when its "
            "group declares them, e.g. `[population.league.ratings]` with `every = 1000`, "
            '`steps = 20` and `anchors = [{ learner = "random" }]` (see the README, '
            "*Self-play and leagues*)."
        )
        snapshot_section(study)
        return
    loaded = study.table("ratings")
    ui.notes(loaded.notes)
    rows = curve_section(loaded.frame)
    matches_section(study, rows)
    snapshot_section(study)


if __name__ == "__main__":
    render()
