"""The run loop: seeding, stopping rules, tables, files, populations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from socialrl import Group, Population, QLearning, Results, simulate
from socialrl.learners import FixedAction, RandomPolicy
from socialrl.run import RunSettings, run_simulation

pytestmark = pytest.mark.core

MAZE = {"layout": "dyna", "n_walkers": 5, "max_episode_steps": 200}


def run(seed: int = 0, **kwargs):  # type: ignore[no-untyped-def]
    options = {"steps": 1500, "record_every": 100, "snapshot_every": 500, **kwargs}
    return simulate(
        "maze", MAZE, {"walker": QLearning(alpha=0.5, epsilon=0.1)}, seed=seed, **options
    )


def test_same_seed_identical_tables_different_seed_different() -> None:
    a, b, c = run(1), run(1), run(2)
    for name, table in a.tables():
        pd.testing.assert_frame_equal(table, dict(b.tables())[name])
    assert not a.episodes.equals(c.episodes)


def test_tables_are_tidy() -> None:
    res = run(0)
    assert list(res.episodes.columns) == [
        "role",
        "agent",
        "episode",
        "end_step",
        "length",
        "return",
        "terminated",
    ]
    assert res.steps["step"].tolist() == list(range(100, 1501, 100))
    assert {
        "mean_distance_to_goal",
        "walker_reward_mean",
        "walker_episodes",
        "walker_epsilon",
    } <= set(res.steps.columns)
    assert res.agents["step"].unique().tolist() == [500, 1000, 1500]
    assert {"agent", "row", "col", "greedy_path_length", "greedy_optimal", "group"} <= set(
        res.agents.columns
    )
    # every episode's length is counted; returns are −1 per move on the −1-per-step maze
    np.testing.assert_array_equal(res.episodes["return"], -res.episodes["length"])
    # per agent, episodes are numbered 0, 1, 2, … and end in order
    for _, eps in res.episodes.groupby("agent"):
        assert eps["episode"].tolist() == list(range(len(eps)))
        assert eps["end_step"].is_monotonic_increasing
    # the steps table counts the same episodes
    assert res.steps["walker_episodes"].iloc[-1] == len(res.episodes)
    assert res.meta["steps"] == 1500 and res.meta["seed"] == 0


def test_episodes_stopping_rule() -> None:
    res = simulate("maze", MAZE, {"walker": QLearning(alpha=0.5)}, episodes=3, steps=100_000)
    assert res.episodes.groupby("agent").size().min() == 3
    assert res.meta["steps"] == res.episodes["end_step"].max()


def test_frozen_learners_do_not_change() -> None:
    learner = QLearning(alpha=0.5)
    simulate("maze", MAZE, {"walker": learner}, steps=50, learn=False)
    assert (learner.q == 0).all()


def test_parquet_and_csv_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    res = run(0)
    res.to_parquet(tmp_path / "pq")
    res.to_csv(tmp_path / "csv")
    back_pq, back_csv = Results.read(tmp_path / "pq"), Results.read(tmp_path / "csv")
    for name, table in res.tables():
        pd.testing.assert_frame_equal(dict(back_pq.tables())[name], table, obj=name)
        pd.testing.assert_frame_equal(
            dict(back_csv.tables())[name], table, check_dtype=False, obj=name
        )
    assert back_pq.meta["params"] == MAZE
    assert not list(tmp_path.rglob("*.tmp"))


def test_mixed_population_with_slots_and_fixed_policies() -> None:
    q = QLearning(alpha=0.5)
    pop = Population(
        [
            Group(q, agents=[0, 2, 4], name="learners"),
            Group(RandomPolicy(), agents=[1]),
            Group(FixedAction(0), agents={"slot": 3}),
        ]
    )
    res = simulate("maze", MAZE, pop, steps=300, record_every=100)
    assert q.q.shape[0] == 3
    assert {"learners_epsilon", "learners_td_error"} <= set(res.steps.columns)
    assert sorted(res.agents["agent"]) == [0, 1, 2, 3, 4]
    groups = res.agents.set_index("agent")["group"]
    assert groups[0] == "learners" and groups[1] == "walker[1]" and groups[3] == "walker[2]"
    # the always-up walker stays in column 0
    assert res.agents.set_index("agent").loc[3, "col"] == 0


@pytest.mark.parametrize(
    ("groups", "match"),
    [
        (
            [Group(QLearning(), agents=[0, 1])],
            r"agents \[2, 3, 4\] of role 'walker' belong to no group",
        ),
        ([Group(QLearning()), Group(RandomPolicy(), agents=[2])], "both claim agents"),
        ([Group(QLearning(), role="firm")], "unknown role 'firm'"),
        ([Group(QLearning(), agents=[9])], r"agent slots must lie in \[0, 5\)"),
        ([Group(QLearning(), agents={"colour": "red"})], "no attribute 'colour'"),
    ],
)
def test_population_errors(groups: list[Group], match: str) -> None:
    with pytest.raises((ValueError, KeyError, AttributeError), match=match):
        simulate("maze", MAZE, Population(groups), steps=5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "give the run a length"),
        ({"steps": -5}, "steps must be a positive integer"),
        ({"steps": 10, "record_every": 0}, "record_every must be a positive integer"),
        ({"episodes": 0}, "episodes must be a positive integer"),
    ],
)
def test_length_errors(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        simulate("maze", MAZE, {"walker": QLearning()}, **kwargs)


def test_typed_settings_are_what_the_keywords_build() -> None:
    """A study hands the loop its RunSettings as they are; a script's keywords build the same."""
    settings = RunSettings(steps=600, record_every=100, snapshot_every=300)
    typed = run_simulation("maze", MAZE, {"walker": QLearning(alpha=0.5)}, settings, seed=4)
    keywords = simulate(
        "maze", MAZE, {"walker": QLearning(alpha=0.5)}, seed=4, **settings.identity()
    )
    for (name, a), (_, b) in zip(typed.tables(), keywords.tables(), strict=True):
        pd.testing.assert_frame_equal(a, b, obj=name)
    with pytest.raises(ValidationError):
        settings.steps = 5  # type: ignore[misc]  # frozen: a run cannot change its settings


def test_no_autoreset_model_runs_until_everyone_is_done() -> None:
    params = {**MAZE, "autoreset": False, "max_episode_steps": 30}
    q = QLearning(alpha=0.5)
    res = simulate("maze", params, {"walker": q}, steps=40)
    assert len(res.episodes) == 5  # one episode each, then they wait
    assert res.steps["walkers_active"].iloc[-1] == 0


def test_stop_when_stable_ends_the_run_early() -> None:
    learner = QLearning(alpha=0.5, epsilon=0.1)
    res = simulate(
        "maze",
        {"layout": "S..G", "n_walkers": 3},
        {"walker": learner},
        steps=50_000,
        stop_when_stable=300,
    )
    assert res.meta["steps"] < 50_000
    assert learner.stable.min() >= 300
    with pytest.raises(ValueError, match="stop_when_stable must be a positive integer"):
        simulate("maze", MAZE, {"walker": QLearning()}, steps=10, stop_when_stable=0)


def test_fixed_policies_do_not_block_stopping() -> None:
    pop = Population(
        [Group(QLearning(alpha=0.5), agents=[0, 1]), Group(RandomPolicy(), agents=[2, 3, 4])]
    )
    res = simulate("maze", MAZE, pop, steps=100_000, stop_when_stable=200)
    assert res.meta["steps"] < 100_000


def test_divergence_is_an_error() -> None:
    class Diverging(QLearning):
        def diagnostics(self) -> dict[str, float]:
            return {**super().diagnostics(), "loss": float("nan")}

    with pytest.raises(FloatingPointError, match="walker_loss = nan at step 10: diverged"):
        simulate("maze", MAZE, {"walker": Diverging()}, steps=200, record_every=10)


def test_attribute_selector_on_an_empty_role_is_a_clear_error() -> None:
    from socialrl.population import _select

    class Empty:
        def role_agents(self, role: str) -> list[object]:
            return []

    with pytest.raises(ValueError, match="role 'player' has no agents to match"):
        _select(Empty(), "player", 0, {"strategy": "tft"}, 0)  # type: ignore[arg-type]
