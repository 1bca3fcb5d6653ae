"""Self-play leagues: frozen snapshots, (prioritised) fictitious self-play, ratings over training.

Known answers in the iterated prisoner's dilemma (T, R, P, S = 5, 3, 1, 0), played by fixed
pairs of a ``pairs`` network: the learner holds the even slots, its league group the odd ones,
and each learner meets its own partner. Always-defect wins every game against tit-for-tat
(5 + 1 + 1 … against 0 + 1 + 1 …) and against always-cooperate; tit-for-tat draws with
always-cooperate and never wins a game (Axelrod 1984).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import mesa
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from socialrl.contract import RoleSpec, RoleStep
from socialrl.envs.batched import MultiAgentEnv
from socialrl.learners.fixed import FixedAction, RandomPolicy
from socialrl.learners.q_learning import QLearning
from socialrl.population import Group, Population
from socialrl.run import simulate
from socialrl.run.league import (
    LeagueOpponent,
    Leagues,
    choose_snapshot,
    game_results,
    pfsp_weights,
    prepare_leagues,
    win_probability,
)
from socialrl.run.league.games import PairedGames
from socialrl.study import parse_study
from socialrl.study.runner import plan_study
from socialrl.study.spec import SpecError, load_study

pytestmark = pytest.mark.core

PAIRS = 6
PD = {
    "game": "prisoners_dilemma",
    "structure": {"kind": "network", "graph": "pairs", "n_players": 2 * PAIRS},
    "observation": "memory1",
}
ALWAYS_DEFECT = {"learner": "fixed_action", "params": {"action": 1}, "name": "always_defect"}
ALWAYS_COOPERATE = {"learner": "fixed_action", "params": {"action": 0}, "name": "always_cooperate"}
TIT_FOR_TAT = {"learner": "tit_for_tat"}


def league(learner: Any, **settings: Any) -> Population:
    """The learner on the even slots, its league opponent on the odd ones."""
    return Population(
        [
            Group(learner, agents={"side": 0}, name="learner"),
            Group(LeagueOpponent(of="learner", **settings), agents={"side": 1}, name="past"),
        ]
    )


def q_learner() -> QLearning:
    return QLearning(shared=True, alpha=0.5, gamma=0.5, epsilon=0.2)


def rows(table: pd.DataFrame, player: str) -> pd.DataFrame:
    return table[table["player"] == player].set_index("step")


# ---------------------------------------------------------------------- snapshots
def test_snapshots_are_frozen_while_the_learner_trains() -> None:
    steps = 400
    learner = q_learner()
    pop = league(learner, snapshot_every=steps, choose="latest")
    templates = prepare_leagues(pop)
    assert templates is not None
    env = MultiAgentEnv("coordination", PD)
    obs = env.reset(np.random.SeedSequence(0))
    pop.bind(env.model, np.random.SeedSequence(1))
    leagues = Leagues.start(
        templates, env.model, pop, "coordination", PD, steps, np.random.SeedSequence(2)
    )
    (lg,) = leagues.leagues
    states = np.arange(5)  # memory one of two actions: the start, CC, CD, DC, DD

    def policy(player: Any) -> np.ndarray:
        return np.array([player.greedy(np.full(PAIRS, s))[0] for s in states])

    first_q, first_policy = learner.q.copy(), policy(lg.driver)
    for t in range(1, steps):  # one step short of the next snapshot
        actions = pop.act(obs)
        outcome = env.step(actions)
        pop.learn(obs, actions, outcome)
        leagues.after_step(t, outcome)
        obs = {role: out.obs for role, out in outcome.items()}
    env.close()
    assert not np.array_equal(learner.q, first_q)  # the learner trained …
    assert not np.array_equal(policy(learner), first_policy)  # … and plays otherwise now
    np.testing.assert_array_equal(lg.snapshots[0].state["q"], first_q)  # a copy, not a view
    np.testing.assert_array_equal(policy(lg.driver), first_policy)  # the snapshot did not move


def test_latest_plays_each_new_snapshot_for_one_period() -> None:
    results = simulate(
        "coordination", PD, league(q_learner(), snapshot_every=50, choose="latest"),
        steps=300, seed=3,
    )  # fmt: skip
    table = results.extra["league"]
    assert table["step"].tolist() == [0, 50, 100, 150, 200, 250, 300]
    assert table["periods"].tolist() == [1, 1, 1, 1, 1, 1, 0]  # the last is never played
    # a repeated game without episodes: one game per pair per 50-step period
    assert table["games"].tolist() == [PAIRS] * 6 + [0]
    assert results.steps["past_snapshot_step"].iloc[-1] == 250


def test_uniform_fictitious_self_play_draws_every_snapshot_equally_often() -> None:
    rng = np.random.default_rng(0)
    p = np.array([0.9, 0.1, 0.5, 0.5, 0.3])  # uniform ignores how the learner fares
    draws = np.array([choose_snapshot("uniform", p, rng) for _ in range(20_000)])
    counts = np.bincount(draws, minlength=5)
    assert stats.chisquare(counts).pvalue > 0.001
    assert np.abs(counts / 20_000 - 0.2).max() < 0.015
    assert choose_snapshot("latest", p, rng) == 4


def test_pfsp_weights_read_like_alphastar() -> None:
    p = np.array([0.9, 0.5, 0.1])
    expected = np.array([0.01, 0.25, 0.81]) / 1.07  # (1 − p)² normalised
    np.testing.assert_allclose(pfsp_weights(p), expected)
    np.testing.assert_allclose(pfsp_weights(np.ones(4)), np.full(4, 0.25))  # all beaten: uniform
    # Laplace: (wins + draws / 2 + 1) / (games + 2); an unplayed snapshot is a coin flip
    np.testing.assert_allclose(win_probability([3, 0], [2, 0], [6, 0]), [5 / 8, 0.5])


def test_prioritised_self_play_prefers_the_snapshots_the_learner_loses_to() -> None:
    rng = np.random.default_rng(1)
    p = np.array([0.95, 0.5, 0.05])  # beaten, even, unbeaten
    counts = np.bincount([choose_snapshot("prioritised", p, rng) for _ in range(20_000)])
    expected = pfsp_weights(p) * 20_000
    assert counts[2] > counts[1] > counts[0]
    assert stats.chisquare(counts, expected).pvalue > 0.001


def test_prioritised_weights_follow_the_training_record() -> None:
    """Q-learners learn to defect: the cooperating first snapshot is beaten, weighed least."""
    results = simulate(
        "coordination", PD, league(q_learner(), snapshot_every=100, choose="prioritised"),
        steps=2000, seed=4,
    )  # fmt: skip
    table = results.extra["league"]
    played = table[table["games"] > 0]
    expected = win_probability(played["wins"], played["draws"], played["games"])
    np.testing.assert_allclose(played["p_win"], expected)
    np.testing.assert_allclose(table["pfsp_weight"], pfsp_weights(table["p_win"].to_numpy()))
    first = table.iloc[0]
    assert first["wins"] == first["games"] > 0  # the untrained snapshot cooperates; beaten
    assert first["pfsp_weight"] == table["pfsp_weight"].min()
    assert table["periods"].sum() == 20


def test_alphazero_leagues_on_tic_tac_toe_and_the_perfect_player_never_loses() -> None:
    """Snapshots of a planner get the game's rules and play legal moves only (else IllegalMove)."""
    pytest.importorskip("torch")
    from socialrl.learners.alphazero import AlphaZero

    games = 4
    mine = [2 * g + g % 2 for g in range(games)]  # the learner moves first in every other game
    theirs = [2 * g + 1 - g % 2 for g in range(games)]
    ratings = {
        "every": 20, "steps": 9, "past": 1,
        "anchors": [{"learner": "random"}, {"learner": "perfect_player"}],
    }  # fmt: skip
    population = Population(
        [
            Group(AlphaZero(simulations=8, hidden=(32,), batch_size=32), agents=mine, name="az"),
            Group(
                LeagueOpponent(of="az", snapshot_every=10, play="explore", ratings=ratings),
                agents=theirs,
                name="past",
            ),
        ]
    )
    results = simulate("board", {"n_games": games}, population, steps=40, seed=1)
    assert results.extra["league"]["step"].tolist() == [0, 10, 20, 30, 40]
    table = results.extra["ratings"]
    perfect = rows(table, "perfect_player")
    assert (perfect["losses"] == 0).all() and (perfect["games"] > 0).all()
    learner = rows(table, "learner")
    assert (learner["games"] == 2 * games + np.array([0, 4, 4])).all()  # + the past copy
    assert learner["ordinal"].iloc[0] < perfect["ordinal"].iloc[0]


# ---------------------------------------------------------------------- games
def test_paired_games_count_episodes_or_the_whole_window() -> None:
    mine, theirs = np.array([0, 2]), np.array([1, 3])
    games = PairedGames(mine, theirs, fresh=False)
    no = np.zeros(4, dtype=bool)
    games.add(np.array([1.0, 0.0, 0.0, 1.0]), np.array([True, False, True, False]))  # partial
    games.add(np.array([1.0, -1.0, 0.0, 0.0]), np.array([True, False, False, False]))  # counted
    games.add(np.array([0.0, 0.0, 2.0, 2.0]), no)
    assert games.close().tolist() == [1]  # the first games started before the window
    games.add(np.array([5.0, 0.0, 1.0, 1.0]), no)  # no episode ends: the window is the game
    assert games.close().tolist() == [1, 0]
    assert game_results(np.array([0.1 + 0.2]), np.array([0.3])).tolist() == [0]  # rounding


# ---------------------------------------------------------------------- ratings
def rated(learner: Any, anchors: list[dict[str, Any]], steps: int = 200, **extra: Any) -> Any:
    ratings = {"every": 100, "steps": 10, "anchors": anchors, **extra}
    population = league(learner, snapshot_every=50, ratings=ratings)
    return simulate("coordination", PD, population, steps=steps, seed=5).extra["ratings"]


def test_always_defect_outrates_tit_for_tat_and_always_cooperate() -> None:
    ratings = {"every": 100, "steps": 10, "anchors": [ALWAYS_DEFECT, TIT_FOR_TAT, ALWAYS_COOPERATE]}
    population = league(RandomPolicy(), snapshot_every=50, ratings={**ratings, "past": 0})
    results = simulate("coordination", PD, population, steps=200, seed=5)
    table, matches = results.extra["ratings"], results.extra["rating_matches"]
    first = matches[matches["player"] != "learner"].set_index(["player", "opponent"])
    assert first.loc[("always_defect", "tit_for_tat"), "wins"] == PAIRS  # one game per pair
    assert first.loc[("always_defect", "always_cooperate"), "wins"] == PAIRS
    assert first.loc[("tit_for_tat", "always_cooperate"), "draws"] == PAIRS
    assert len(matches) == 3 + 3 * 3  # the anchors' first games, then 3 per rating step
    start = table[table["step"] == 0].set_index("player")
    # the anchors' first games are against each other: one game per pair each
    assert start.loc["always_defect", "wins"] >= 2 * PAIRS  # beat tit-for-tat, always-cooperate
    assert start.loc["tit_for_tat", "wins"] == 0  # tit-for-tat never wins a game
    for step in (0, 100, 200):
        now = table[table["step"] == step].set_index("player")["ordinal"]
        assert now["always_defect"] > now["tit_for_tat"]
        assert now["always_defect"] > now["always_cooperate"]


def test_a_learner_that_always_wins_rates_above_the_anchors_it_beats() -> None:
    table = rated(FixedAction(1), [TIT_FOR_TAT, ALWAYS_COOPERATE], past=0)
    learner = rows(table, "learner")
    assert (learner["wins"] == learner["games"]).all() and (learner["games"] == 2 * PAIRS).all()
    for anchor in ("tit_for_tat", "always_cooperate"):
        assert (learner["ordinal"] > rows(table, anchor)["ordinal"]).all()
    assert list(learner.index) == [0, 100, 200]


def test_ratings_track_learners_that_learn_to_defect() -> None:
    table = rated(q_learner(), [TIT_FOR_TAT, ALWAYS_COOPERATE], steps=2000, past=2)
    learner = rows(table, "learner")
    assert learner["ordinal"].iloc[-1] > learner["ordinal"].iloc[0]
    assert learner["ordinal"].iloc[-1] > rows(table, "tit_for_tat")["ordinal"].iloc[-1]
    past = table[table["kind"] == "past"]
    assert set(past["player"]) <= {f"learner@{t}" for t in range(0, 2000, 100)}
    columns = ["group", "step", "player", "kind", "mu", "sigma", "ordinal"]
    assert list(table.columns) == [*columns, "games", "wins", "draws", "losses"]
    np.testing.assert_allclose(table["ordinal"], table["mu"] - 3 * table["sigma"])


def test_a_league_run_is_reproducible_from_its_seed() -> None:
    def run(seed: int) -> Any:
        ratings = {"every": 250, "steps": 10, "anchors": [TIT_FOR_TAT]}
        population = league(q_learner(), snapshot_every=100, choose="prioritised", ratings=ratings)
        return simulate("coordination", PD, population, steps=1000, seed=seed)

    first, again, other = run(7), run(7), run(8)
    for name, table in first.tables():
        pd.testing.assert_frame_equal(table, dict(again.tables())[name], obj=name)
    assert not first.extra["league"].equals(other.extra["league"])


def test_ratings_leave_training_untouched() -> None:
    """Evaluation matches play in models of their own: the training run is the same without."""

    def run(ratings: dict[str, Any] | None) -> Any:
        population = league(q_learner(), snapshot_every=100, choose="uniform", ratings=ratings)
        return simulate("coordination", PD, population, steps=600, seed=9)

    rated_run = run({"every": 200, "steps": 10, "anchors": [TIT_FOR_TAT], "past": 2})
    plain = run(None)
    pd.testing.assert_frame_equal(rated_run.steps, plain.steps)
    pd.testing.assert_frame_equal(rated_run.extra["league"], plain.extra["league"])
    assert "ratings" in rated_run.extra and "ratings" not in plain.extra


def test_two_leagues_in_one_population_rate_their_own_learners() -> None:
    """Each league's matches seat the other league's current snapshot as it is."""
    ratings = {"every": 100, "steps": 10, "anchors": [TIT_FOR_TAT], "past": 1}
    population = Population(
        [
            Group(q_learner(), agents=[0, 2, 4], name="a"),
            Group(LeagueOpponent(of="a", snapshot_every=50, ratings=ratings), agents=[1, 3, 5]),
            Group(FixedAction(1), agents=[6, 8, 10], name="b"),
            Group(LeagueOpponent(of="b", snapshot_every=50, ratings=ratings), agents=[7, 9, 11]),
        ]
    )
    results = simulate("coordination", PD, population, steps=200, seed=2)
    table = results.extra["ratings"]
    assert set(table["group"]) == {"a", "b"}
    b = table[(table["group"] == "b") & (table["player"] == "learner")]
    assert (b["wins"] == 3).all()  # always-defect beats tit-for-tat in each of its 3 pairs
    assert set(results.extra["league"]["learner"]) == {"a", "b"}


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"snapshot_every": 0}, "league snapshot_every: Input should be greater than 0, got 0"),
        ({"snapshot_every": 10, "choose": "best"}, "league choose: Input should be 'latest'"),
        ({"snapshot_every": 10, "ratings": {"every": 5}}, "league ratings.steps: Field required"),
        (
            {
                "snapshot_every": 10,
                "ratings": {"every": 5, "steps": 5, "anchors": [{"learner": "x"}]},
            },
            "league ratings.anchors[0].learner: unknown learner 'x'",
        ),
    ],
)
def test_bad_league_settings_are_one_line_errors(settings: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValueError) as err:
        LeagueOpponent(of="learner", **settings)
    assert str(err.value).startswith(expected) and "\n" not in str(err.value)


def error_of(population: Population, steps: int = 100, model: Any = "coordination") -> str:
    with pytest.raises(ValueError) as err:
        simulate(model, PD if model == "coordination" else {}, population, steps=steps, seed=0)
    assert "\n" not in str(err.value)
    return str(err.value)


def test_a_snapshot_interval_longer_than_the_run_is_refused() -> None:
    message = error_of(league(q_learner(), snapshot_every=500))
    assert message == (
        "league group 'past': snapshot_every = 500 is longer than the run (steps = 100); "
        "use snapshot_every ≤ 100"
    )
    ratings = {"every": 200, "steps": 5, "anchors": [TIT_FOR_TAT]}
    assert "ratings.every = 200 is longer" in error_of(
        league(q_learner(), snapshot_every=50, ratings=ratings)
    )


def test_a_league_of_an_unknown_or_unfit_group_is_refused() -> None:
    unknown = Population(
        [
            Group(q_learner(), agents={"side": 0}, name="learner"),
            Group(LeagueOpponent(of="learnr", snapshot_every=10), agents={"side": 1}, name="past"),
        ]
    )
    assert error_of(unknown) == (
        "league group 'past': of = 'learnr' names no group; groups: learner, past"
    )
    smaller = Population(
        [
            Group(q_learner(), agents=[0, 2, 4, 6], name="learner"),
            Group(LeagueOpponent(of="learner", snapshot_every=10), agents=[1, 3, 5], name="past"),
            Group(RandomPolicy(), agents=[7, 8, 9, 10, 11], name="rest"),
        ]
    )
    assert "has 4 agents, the league group 3" in error_of(smaller)
    roles = Population(
        [
            Group(FixedAction(0), role="buyer", name="learner"),
            Group(LeagueOpponent(of="learner", snapshot_every=10), role="seller", name="past"),
        ]
    )
    message = error_of(roles, model=TwoRoles)
    assert "plays role 'buyer', the league group role 'seller'" in message


def test_a_league_opponent_outside_its_league_says_so() -> None:
    env = MultiAgentEnv("coordination", PD)
    obs = env.reset(0)
    population = league(q_learner(), snapshot_every=10)
    population.bind(env.model, np.random.SeedSequence(0))
    with pytest.raises(RuntimeError, match="no snapshot to play"):
        population.act(obs)
    env.close()


class TwoRoles(mesa.Model):
    """Two roles of one agent each that do nothing (for the role check)."""

    def __init__(self, rng: Any = None) -> None:
        super().__init__(rng=rng)
        space = gym.spaces.Discrete(2)
        self.roles = {r: RoleSpec(r, 1, space, space) for r in ("buyer", "seller")}
        self.autoreset = True
        self._zero = np.zeros(1, dtype=np.int64)

    def observe(self, role: str) -> np.ndarray:
        return self._zero

    def active(self, role: str) -> np.ndarray:
        return np.ones(1, dtype=bool)

    def set_actions(self, role: str, actions: np.ndarray) -> None:
        pass

    def outcome(self, role: str) -> RoleStep:
        never = np.zeros(1, dtype=bool)
        return RoleStep(self._zero, np.zeros(1), never, never, self._zero)


# ---------------------------------------------------------------------- the study spec
STUDY = """
name = "league_spec"
[model]
name = "coordination"
[model.params]
game = "prisoners_dilemma"
observation = "memory1"
structure = {{ kind = "network", graph = "pairs", n_players = 4 }}
[[population]]
name = "learner"
learner = "q_learning"
agents = {{ side = 0 }}
{learner_role}
[[population]]
name = "past"
agents = {{ side = 1 }}
{past_role}
[population.league]
{league}
[population.league.ratings]
every = {rate_every}
steps = 5
anchors = [{{ learner = "tit_for_tat" }}]
[run]
steps = 1000
"""


def write(tmp_path: Path, league: str, rate_every: int = 100, **roles: str) -> Path:
    text = STUDY.format(
        league=league,
        rate_every=rate_every,
        learner_role=roles.get("learner", ""),
        past_role=roles.get("past", ""),
    )
    path = tmp_path / "league.toml"
    path.write_text(text)
    return path


def spec_errors(path: Path) -> list[str]:
    with pytest.raises(SpecError) as err:
        load_study(path)
    return list(err.value.lines)


def test_the_study_spec_declares_a_league_on_a_group(tmp_path: Path) -> None:
    spec, _ = load_study(
        write(tmp_path, 'of = "learner"\nsnapshot_every = 100\nchoose = "uniform"')
    )
    past = spec.population[1]
    assert past.league is not None and past.league.of == "learner"
    assert past.league.ratings is not None and past.league.ratings.anchors[0].label == "tit_for_tat"
    assert parse_study(spec.to_dict()) == spec  # the manifest's copy rebuilds it


def test_the_study_spec_refuses_unfit_leagues_one_line_each(tmp_path: Path) -> None:
    path = write(tmp_path, 'of = "learnr"\nsnapshot_every = 5000', rate_every=2000)
    assert spec_errors(path) == [
        f"{path}: key 'population[1].league.of': no group 'learnr'; groups: learner, past "
        "(got 'learnr')",
        f"{path}: key 'population[1].league.snapshot_every': longer than the run "
        "(run.steps = 1000): the learner would be snapshotted only at its start; use at most "
        "1000 (got 5000)",
        f"{path}: key 'population[1].league.ratings.every': longer than the run "
        "(run.steps = 1000): the learner would be rated only at its start; use at most 1000 "
        "(got 2000)",
    ]
    path = write(tmp_path, 'of = "learner"\nsnapshot_every = 10\nchoose = "best"\ncolour = 1')
    assert spec_errors(path) == [
        f"{path}: key 'population[1].league.choose': Input should be 'latest', 'uniform' or "
        "'prioritised' (got 'best')",
        f"{path}: unknown key 'population[1].league.colour'; allowed: of, snapshot_every, "
        "choose, play, ratings",
    ]
    swept = write(tmp_path, 'of = "learner"\nsnapshot_every = 5000').read_text()
    path.write_text(swept + '[sweep.grid]\n"run.steps" = [1000, 10000]\n')
    assert load_study(path)[0].population[1].league is not None  # each run checks its own
    path = write(
        tmp_path,
        'of = "learner"\nsnapshot_every = 10',
        learner='role = "buyer"',
        past='role = "seller"',
    )
    (line,) = spec_errors(path)
    assert "key 'population[1].league.of': group 'learner' plays role 'buyer'" in line


@pytest.mark.parametrize(
    ("study", "runs", "torch"),
    [("league_prisoners_dilemma.toml", 15, False), ("league_tictactoe.toml", 2, True)],
)
def test_the_league_studies_are_valid(study: str, runs: int, torch: bool) -> None:
    if torch:
        pytest.importorskip("torch")  # AlphaZero
    spec, _, planned = plan_study(Path(__file__).resolve().parents[1] / "studies" / study)
    assert len(planned) == runs
    assert spec.population[1].league is not None


def test_cross_play_refuses_a_league_run_in_one_line(tmp_path: Path) -> None:
    from socialrl.study import run_study
    from socialrl.study.crossplay import CrossPlayError, crossplay_study

    spec, _ = load_study(write(tmp_path, 'of = "learner"\nsnapshot_every = 100', rate_every=500))
    report = run_study(spec, out=tmp_path / "results", backend="sequential")
    with pytest.raises(CrossPlayError, match="group 'past' is a league opponent") as refused:
        crossplay_study([report.path], write=False)
    assert "\n" not in str(refused.value)
