"""The coordination model's structures as typed objects: Grid, Network, WellMixed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from socialrl_models.coordination import CoordinationModel, Grid, Network, WellMixed
from socialrl_models.coordination.structures import as_structure, structure_table
from socialrl_models.coordination.summary import study_summary

import socialrl
from socialrl.study import SpecError, run_study
from tests.study_helpers import write_toml

pytestmark = pytest.mark.core


@pytest.mark.parametrize(
    "structure",
    [
        Grid(),
        Grid(7, 5, neighbourhood="moore", interaction="random_neighbour"),
        Network(),
        Network("scale_free", n_players=50, degree=6, interaction="random_neighbour"),
        Network([[0, 1], [1, 2], [2, 3], [3, 0]]),
        WellMixed(40),
    ],
    ids=lambda s: s.label(),
)
def test_a_study_files_table_round_trips(structure: Grid | Network | WellMixed) -> None:
    table = structure_table(structure)
    assert table["kind"] == structure.kind
    assert as_structure(table) == structure


def test_a_kind_name_is_its_defaults() -> None:
    assert as_structure("grid") == Grid(10, 10, "von_neumann", "neighbours")
    assert as_structure("network") == Network("small_world", None, 4, 0.1, "neighbours")
    assert as_structure("well_mixed") == WellMixed(100, "matching")


def test_structures_are_frozen_and_hashable() -> None:
    grid = Grid(4, 4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        grid.width = 5  # type: ignore[misc]
    edges = Network([[0, 1], [1, 2], [2, 0]])  # an edge list is stored as a tuple of pairs
    assert len({grid, Grid(4, 4), edges, WellMixed(6)}) == 3


def test_an_object_and_its_table_build_the_same_model() -> None:
    """Bit for bit: the network's seed is drawn from the model's generator either way."""
    by_object = CoordinationModel(structure=Network(n_players=30, rewire=0.3), rng=11)
    by_table = CoordinationModel(
        structure={"kind": "network", "n_players": 30, "rewire": 0.3}, rng=11
    )
    np.testing.assert_array_equal(by_object.topology.indices, by_table.topology.indices)
    np.testing.assert_array_equal(by_object.actions, by_table.actions)


def test_sizes_come_from_the_structure() -> None:
    assert CoordinationModel(structure=Grid(6, 4), rng=0).n_players == 24
    assert CoordinationModel(structure=WellMixed(12), rng=0).n_players == 12
    assert CoordinationModel(structure=Network(nx.cycle_graph(9)), rng=0).n_players == 9
    assert CoordinationModel(structure=Network(), rng=0).n_players == 100


def test_labels_read_as_the_setting() -> None:
    assert Grid(20, 20, interaction="random_neighbour").label() == (
        "grid 20×20 von_neumann, random_neighbour"
    )
    assert (
        Network("scale_free", n_players=400).label()
        == "network scale_free, 400 players, neighbours"
    )
    assert WellMixed(200).label() == "well_mixed, 200 players"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # The old flat keys (``width = 5`` beside ``structure``) are not the model's any more.
        ({"structure": "grid", "width": 5}, ["'width'", "structure"]),
        (
            {"structure": {"kind": "well_mixed", "n_players": 20, "degree": 4}},
            ["structure 'well_mixed' has no parameter 'degree'; allowed: kind, n_players"],
        ),
    ],
    ids=["flat key", "another kind's key"],
)
def test_a_bad_structure_in_a_study_file_is_one_line(
    tmp_path: Path, params: dict[str, object], expected: list[str]
) -> None:
    study = write_toml(
        tmp_path / "bad.toml",
        {
            "name": "bad",
            "model": {"name": "coordination", "params": params},
            "population": [{"role": "player", "learner": "q_learning"}],
            "run": {"steps": 5},
        },
    )
    with pytest.raises(SpecError) as caught:
        run_study(study, out=tmp_path / "out", backend="sequential")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{study}: ")
    for part in expected:
        assert part in message, message
    assert not (tmp_path / "out").exists()


def test_a_swept_structure_runs_and_reads_as_labels(tmp_path: Path) -> None:
    study = write_toml(
        tmp_path / "structures.toml",
        {
            "name": "structures",
            "seed": 3,
            "model": {"name": "coordination", "params": {"convention_window": 5}},
            "population": [{"role": "player", "learner": "q_learning", "params": {"gamma": 0.0}}],
            "sweep": {
                "grid": {
                    "model.structure": [
                        {
                            "kind": "grid",
                            "width": 4,
                            "height": 4,
                            "interaction": "random_neighbour",
                        },
                        {"kind": "network", "graph": "ring", "n_players": 12, "degree": 2},
                        {"kind": "well_mixed", "n_players": 10},
                    ]
                }
            },
            "run": {"steps": 30, "record_every": 10},
        },
    )
    report = run_study(study, out=tmp_path / "out", backend="sequential")
    assert report.done == 3
    results = socialrl.load_results(tmp_path / "out" / "structures")
    table = study_summary(results)
    assert table["model.structure"].tolist() == [
        "grid 4×4 von_neumann, random_neighbour",
        "network ring, 12 players, neighbours",
        "well_mixed, 10 players",
    ]
    last = results.steps.groupby("run_id").last()
    assert sorted(last["payoff_mean"].notna()) == [True, True, True]
