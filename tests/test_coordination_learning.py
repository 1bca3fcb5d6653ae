"""Learning in coordination games: known answers (Sandholm & Crites) and the study summary."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from socialrl_models.coordination import CoordinationModel, Grid, TitForTat, WinStayLoseShift

import socialrl
from socialrl.learners import QLearning
from socialrl.population import Group

pytestmark = pytest.mark.core

IPD_AGAINST_TFT = {
    "game": "prisoners_dilemma",
    # 20 learners, each with its own tit-for-tat partner and Q table
    "structure": {"kind": "network", "graph": "pairs", "n_players": 40},
    "observation": "memory1",
}
CC, CD, DC, DD = 0, 1, 2, 3  # memory-1 states (own, partner); C = 0, D = 1


def _learn_against_tit_for_tat(gamma: float, seed: int = 1) -> np.ndarray:
    """Greedy action of each learner in states CC, CD, DC, DD after training, ``[20, 4]``."""
    learner = QLearning(
        alpha=0.1,
        gamma=gamma,
        epsilon={"kind": "linear", "start": 1.0, "end": 0.0, "steps": 8000},
    )
    socialrl.simulate(
        CoordinationModel,
        IPD_AGAINST_TFT,
        [Group(learner, agents={"side": 0}), Group(TitForTat(), agents={"side": 1})],
        steps=10_000,
        record_every=10_000,
        seed=seed,
    )
    return learner.greedy_table()[:, :4]


@pytest.mark.parametrize(
    ("gamma", "policy"),
    [
        # γ < 1/4: exploiting tit-for-tat's cooperation now beats its future (REFERENCES.md)
        (0.2, [1, 1, 1, 1]),
        # 1/4 < γ < 2/3: alternate — defect when TFT will cooperate (own last move C), and
        # cooperate when TFT will defect (own last move D)
        (0.5, [1, 1, 0, 0]),
        # γ > 2/3: the future of mutual cooperation is worth more than one temptation
        (0.9, [0, 0, 0, 0]),
    ],
)
def test_q_learning_against_tit_for_tat(gamma: float, policy: list[int]) -> None:
    greedy = _learn_against_tit_for_tat(gamma)
    assert (greedy == policy).all(), np.unique(greedy, axis=0, return_counts=True)


def test_tit_for_tat_and_pavlov_cooperate_forever() -> None:
    results = socialrl.simulate(
        CoordinationModel,
        {**IPD_AGAINST_TFT, "structure": {"kind": "network", "graph": "pairs", "n_players": 4}},
        [Group(TitForTat(), agents={"side": 0}), Group(WinStayLoseShift(), agents={"side": 1})],
        steps=50,
        record_every=10,
        seed=0,
    )
    assert (results.steps["cooperation_rate"] == 1.0).all()
    assert (results.steps["player_reward_mean"] == 3.0).all()


def test_seeded_runs_are_identical_with_rules_and_learners() -> None:
    params = {"game": "stag_hunt", "structure": Grid(6, 6), "rules": {"best_response": 0.5}}
    params["mutation"] = 0.1
    runs = [
        socialrl.simulate(CoordinationModel, params, QLearning(), steps=50, record_every=5, seed=3)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].steps.to_numpy(), runs[1].steps.to_numpy())


def test_study_summary_answers_the_question(tmp_path: Path) -> None:
    from socialrl_models.coordination.summary import study_summary

    from socialrl.study import GroupSpec, ModelSpec, RunSettings, StudySpec, SweepSpec, run_study

    spec = StudySpec(
        name="tiny_conventions",
        seed=1,
        replications=2,
        model=ModelSpec(name="coordination", params={"convention_window": 20}),
        population=[
            GroupSpec(role="player", learner="q_learning", params={"gamma": 0.0, "epsilon": 0.02})
        ],
        sweep=SweepSpec(
            points=[
                {"model.structure": {"kind": "well_mixed", "n_players": 40}},
                {"model.structure": {"kind": "grid", "width": 5, "height": 5}},
            ]
        ),
        run=RunSettings(steps=400, record_every=100, snapshot_every=400),
    )
    report = run_study(spec, out=tmp_path, backend="sequential")
    assert report.done == 4
    table = study_summary(socialrl.load_results(tmp_path / "tiny_conventions"))
    assert len(table) == 2 and (table["runs"] == 2).all()
    for column in ("convention", "t_convention", "selected", "share_left", "coordination_rate"):
        assert column in table.columns
    assert table["model.structure"].tolist() == [
        "well_mixed, 40 players",
        "grid 5×5 von_neumann, neighbours",
    ]
    mixed = table.iloc[0]
    assert mixed["convention"] == 1.0 and mixed["t_convention"] < 400
    # Pure coordination: either convention will do; which one is the runs' history.
    assert re.fullmatch(r"(left|right) [12]/2", mixed["selected"])


def test_study_summary_spreads_game_params(tmp_path: Path) -> None:
    from socialrl_models.coordination.summary import study_summary

    from socialrl.study import GroupSpec, ModelSpec, RunSettings, StudySpec, SweepSpec, run_study

    spec = StudySpec(
        name="tiny_dilemma",
        seed=1,
        model=ModelSpec(
            name="coordination",
            params={
                "game": "spatial_pd",
                "structure": {"kind": "grid", "width": 5, "height": 5},
                "rules": "imitate_best",
            },
        ),
        population=[GroupSpec(role="player", learner="q_learning")],
        sweep=SweepSpec(grid={"model.game_params": [{"b": 1.5}, {"b": 2.5}]}),
        run=RunSettings(steps=20, record_every=10),
    )
    run_study(spec, out=tmp_path, backend="sequential")
    table = study_summary(socialrl.load_results(tmp_path / "tiny_dilemma"))
    assert table["b"].tolist() == [1.5, 2.5]
    assert "share_cooperate" in table.columns
