"""Cross-play: runs keep their learners; trained populations meet strangers, strategies, themselves.

Known answers on tiny worlds:

* Q-learners in pure coordination (3 actions, payoff a = 2) trained in separate seeds settle
  on different conventions: every run gets a against itself (the diagonal), and a against a
  run of another seed exactly when the two settled on the same action, so the off-diagonal
  mean is low (measured: diagonal 2.0 = a, off-diagonal 0.64 = 0.32 a, over 8 seeds);
* in the repeated prisoner's dilemma (T, R, P, S = 5, 3, 1, 0) scripted strategies earn
  what the rules say: tit-for-tat against always-defect gets S once then P, (0 + 9·1)/10;
* in the pricing market, a firm meeting its own run's other sessions plays exactly the
  match of a population whose rivals were moved one session along; strangers earn less
  than the pairs that learned together (measured: 0.281 against 0.235 per period).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from socialrl.learners.base import load_state, save_state
from socialrl.study import load_results, parse_study, run_study
from socialrl.study.crossplay import (
    CrossPlayError,
    Schedule,
    Scripted,
    World,
    cross_play,
    crossplay_study,
    payoff_matrix,
    read_crossplay,
)
from socialrl.study.crossplay.studies import trained_runs
from socialrl.study.execute import execute_run
from socialrl.study.store import StudyStore
from tests.study_helpers import pricing_study

#: The coordination payoff (both choose the same of 3 actions).
A = 2.0
SHORT = Schedule(episodes=1, steps=10)


def coordination_study(name: str = "conventions3", n: int = 3, **overrides: Any) -> dict[str, Any]:
    """8 seeds of two stateless Q-learners repeatedly playing pure coordination (one pair)."""
    study: dict[str, Any] = {
        "name": name,
        "seed": 17,
        "replications": 8,
        "model": {
            "name": "coordination",
            "params": {
                "game": "coordination",
                "game_params": {"n": n, "a": A},
                "structure": {"kind": "network", "graph": "pairs", "n_players": 2},
            },
        },
        "population": [
            {
                "role": "player",
                "learner": "q_learning",
                "params": {"alpha": 0.2, "gamma": 0.0, "epsilon": 0.1},
            }
        ],
        "run": {"steps": 500, "record_every": 500},
    }
    study.update(overrides)
    return study


def build(root: Path, study: dict[str, Any]) -> Path:
    report = run_study(parse_study(study), out=root, backend="sequential")
    assert report.failed == 0
    return report.path


@pytest.fixture(scope="module")
def conventions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("results"), coordination_study())


@pytest.fixture(scope="module")
def pricing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 runs of 4 markets (5 prices), 20,000 periods each: the sessions learn apart."""
    study = pricing_study("pricing_cp", 4, seed=1, run={"steps": 20_000, "record_every": 20_000})
    study["population"][0]["params"]["epsilon"]["beta"] = 2e-4  # ε 0.018 at the end
    return build(tmp_path_factory.mktemp("results"), study)


# ---------------------------------------------------------------------- keeping the learners
def test_a_run_keeps_its_learners_final_state_under_checksum(conventions: Path) -> None:
    results = load_results(conventions)
    config = results.configs[0]
    folder = conventions / "runs" / config.run_id
    info = json.loads((folder / "run.json").read_text())
    assert info["learners"] == ["learner_0.npz"]
    assert len(info["files"]["learner_0.npz"]) == 64  # covered by the run's checksums
    stored = load_state(folder / "learner_0.npz")
    again = execute_run(config)  # the same run, again: the same final Q tables
    assert again.learners is not None
    np.testing.assert_array_equal(stored["q"], again.learners[0]["q"])
    assert stored["q"].shape == (2, 1, 3)  # two players, one state, three actions


def test_keep_learners_false_stores_none_and_keeps_the_run_ids(
    conventions: Path, tmp_path: Path
) -> None:
    study = coordination_study(run={"steps": 500, "record_every": 500, "keep_learners": False})
    lean = build(tmp_path, study)
    ids = [c.run_id for c in load_results(lean).configs]
    assert ids == [c.run_id for c in load_results(conventions).configs]  # storage only
    assert not list(lean.glob("runs/*/learner_*.npz"))
    with pytest.raises(CrossPlayError, match="rerun"):
        crossplay_study([lean], write=False)


def test_a_damaged_learner_file_is_found_and_refused(conventions: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(conventions, tmp_path / "conventions3"))
    run_id = load_results(copy).configs[0].run_id
    path = copy / "runs" / run_id / "learner_0.npz"
    path.write_bytes(path.read_bytes()[:-20])
    assert "learner_0.npz does not match its checksum" in StudyStore(copy).damaged()[run_id]
    with pytest.raises(CrossPlayError, match=f"run {run_id}: learner_0.npz does not match"):
        crossplay_study([copy], write=False)


# ---------------------------------------------------------------------- known answers
def test_q_learners_of_separate_seeds_reach_different_conventions(conventions: Path) -> None:
    always = [f"strategy:fixed_action:action={k}" for k in range(3)]
    result = crossplay_study([conventions], background=["all", *always], schedule=SHORT)
    table = result.table
    scripted = table[table["pairing"] == "scripted"]
    # Each run's convention: the action whose always-player it coordinates with.
    convention = {
        focal: int(rows.loc[rows["focal_payoff"].idxmax(), "background"].rsplit("=", 1)[1])
        for focal, rows in scripted.groupby("focal")
    }
    assert set(scripted["focal_payoff"]) == {0.0, A}  # against each action: all or nothing
    assert len(set(convention.values())) >= 2  # separate seeds, different conventions
    strangers = table[table["pairing"] == "stranger"]
    expected = [
        A * (convention[f] == convention[b])
        for f, b in zip(strangers["focal"], strangers["background"], strict=True)
    ]
    np.testing.assert_array_equal(strangers["focal_payoff"], expected)
    summary = result.summary.iloc[0]
    assert summary["n_universalization"] == 8 and summary["n_cross_play"] == 8 * 7
    assert summary["universalization"] >= 0.9 * A  # measured: 2.0 = a
    assert summary["cross_play"] <= 0.5 * A  # measured: 0.64 = 0.32 a
    assert summary["gap"] == pytest.approx(summary["universalization"] - summary["cross_play"])
    matrix = payoff_matrix(table)
    assert matrix.shape == (8, 11)  # 8 runs and the 3 always-players
    assert (np.diag(matrix.iloc[:, :8].to_numpy()) == A).all()
    written = read_crossplay(conventions)  # into the study's folder
    assert written is not None
    pd.testing.assert_frame_equal(written[0], table)


def test_scripted_strategies_earn_the_prisoners_dilemma_payoffs() -> None:
    world = World(
        "coordination",
        {
            "game": "prisoners_dilemma",
            "observation": "memory1",
            "structure": {"kind": "network", "graph": "pairs", "n_players": 2},
        },
    )
    players = [
        Scripted("tit_for_tat"),
        Scripted("fixed_action", {"action": 1}),  # always defect
        Scripted("win_stay_lose_shift"),
    ]
    result = cross_play(players, players, world=world, schedule=Schedule(episodes=2, steps=10))
    got = {
        (f, b): (fp, bp)
        for f, b, fp, bp in result.table[
            ["focal_label", "background_label", "focal_payoff", "background_payoff"]
        ].itertuples(index=False)
    }
    tft, alld, wsls = "tit_for_tat", "fixed_action(action=1)", "win_stay_lose_shift"
    assert got[(tft, tft)] == (3.0, 3.0)  # R every round
    assert got[(alld, alld)] == (1.0, 1.0)  # P every round
    assert got[(tft, alld)] == pytest.approx((0.9, 1.4))  # S then P: (0 + 9)/10; T then P
    assert got[(alld, tft)] == pytest.approx((1.4, 0.9))
    assert got[(wsls, alld)] == pytest.approx((0.5, 3.0))  # C, D, C, D… : S, P, S, P…
    assert got[(tft, wsls)] == (3.0, 3.0)
    summary = result.summary.set_index("focal_cell")
    assert summary.loc[tft, "universalization"] == 3.0  # everyone plays like it: R
    assert summary.loc[alld, "universalization"] == 1.0
    assert (result.table["n"] == 2).all() and (result.table["unit"] == "episode").all()


def test_a_firm_meets_rivals_from_other_sessions_and_other_runs(
    pricing: Path, tmp_path: Path
) -> None:
    result = crossplay_study([pricing], schedule=Schedule(episodes=2, steps=30), write=False)
    table = result.table
    assert sorted(table["pairing"]) == sorted(["self", "other sessions", "stranger"] * 2)
    assert (table["unit"] == "session").all() and (table["n"] == 4).all()  # 4 markets each
    first = trained_runs([load_results(pricing)])[0]
    other = result.units[result.units["match"] == 1]  # first run against its other sessions
    # The same match, built by hand: firm 1 of market i is the firm 1 trained in market i + 1.
    state = load_state(first.files[0])
    q = state["q"].copy()
    q[1::2] = np.roll(state["q"][1::2], -1, axis=0)
    moved = save_state(tmp_path / "moved.npz", {**state, "q": q})
    shifted = replace(first, id="moved", files=(moved,))
    by_hand = cross_play([shifted], [], schedule=Schedule(episodes=2, steps=30)).units
    self_play = by_hand[by_hand["match"] == 0]
    np.testing.assert_allclose(other["focal_payoff"], self_play["focal_payoff"])
    np.testing.assert_allclose(other["background_payoff"], self_play["background_payoff"])
    # Strangers earn less than the pairs that learned together (measured: 0.281 against 0.235).
    summary = result.summary.iloc[0]
    assert summary["universalization"] > summary["cross_play"] + 0.03
    # The focal may hold the other seat: firm 1 against firm 0, the mirror of the default.
    mirrored = crossplay_study(
        [pricing],
        focal=[first.id],
        background=[],
        schedule=Schedule(episodes=2, steps=30),
        focal_agents={"firm": 1},
        write=False,
    ).table.set_index("pairing")
    default = table.set_index(["focal", "pairing"]).loc[(first.id, "self")]
    assert mirrored.loc["self", "focal_payoff"] == pytest.approx(default["background_payoff"])
    assert mirrored.loc["self", "background_payoff"] == pytest.approx(default["focal_payoff"])


# ---------------------------------------------------------------------- bad input
def test_populations_of_different_actions_or_roles_are_refused_in_one_line(
    conventions: Path, pricing: Path, tmp_path: Path
) -> None:
    two = build(tmp_path, coordination_study("conventions2", n=2, replications=1))
    with pytest.raises(CrossPlayError) as err:
        crossplay_study([conventions, two], focal=["model.game_params=" + _cell(3)], write=False)
    message = str(err.value)
    assert "acts in Discrete(3) vs Discrete(2)" in message and "\n" not in message
    assert "conventions3" in message and "conventions2" in message  # both named
    with pytest.raises(CrossPlayError, match=r"roles \['player'\] vs \['firm'\]"):
        crossplay_study([conventions, pricing], focal=["replication=0"], write=False)


def _cell(n: int) -> str:
    return json.dumps({"a": A, "n": n}, sort_keys=True)


def test_unknown_runs_selectors_and_strategies_say_what_there_is(conventions: Path) -> None:
    with pytest.raises(CrossPlayError, match="--focal 'feedbeef': unknown run id; finished runs"):
        crossplay_study([conventions], focal=["feedbeef"], write=False)
    with pytest.raises(CrossPlayError, match="no column 'colour'; columns: run_id"):
        crossplay_study([conventions], background=["colour=red"], write=False)
    with pytest.raises(CrossPlayError, match="matches no finished run"):
        crossplay_study([conventions], focal=["replication=99"], write=False)
    with pytest.raises(CrossPlayError, match="strategy 'no_such_thing': unknown learner"):
        crossplay_study([conventions], background=["strategy:no_such_thing"], write=False)
    with pytest.raises(CrossPlayError, match="TitForTat reads memory-1 observations"):
        crossplay_study([conventions], background=["strategy:tit_for_tat"], write=False)
    with pytest.raises(CrossPlayError, match="two strategies need a world"):
        cross_play([Scripted("random")], [])
    with pytest.raises(CrossPlayError, match="must hold some agents and leave others"):
        crossplay_study([conventions], focal_agents=[0, 1], write=False)
    with pytest.raises(ValueError, match="episodes must be a positive integer, got 0"):
        Schedule(episodes=0)


def test_a_study_whose_runs_kept_no_learners_says_to_rerun(
    conventions: Path, tmp_path: Path
) -> None:
    copy = Path(shutil.copytree(conventions, tmp_path / "old"))
    for path in (copy / "runs").glob("*/run.json"):  # as runs were written before they kept them
        info = json.loads(path.read_text())
        del info["learners"]
        info["files"].pop("learner_0.npz")
        path.write_text(json.dumps(info))
        (path.parent / "learner_0.npz").unlink()
    with pytest.raises(
        CrossPlayError, match=r"has no stored learners.*run STUDY_FILE --fresh` to keep them"
    ):
        crossplay_study([copy], write=False)
