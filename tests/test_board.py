"""k-in-a-row board games (tic-tac-toe, small Connect Four): the rules, the model, the players.

Known answers: wins along rows, columns and both diagonals; stones that drop in a column and
fill it; a drawn full board; forced illegal moves refused in one line before anything
changes; a game traced by hand (who moves, rewards, restart, the ``games`` and ``replays``
tables); two perfect players always draw, and the perfect player never loses to random play
from either side. The solver's own known answers are in ``test_board_solver.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from socialrl_models.board import (
    BoardGameModel,
    KInARow,
    PerfectPlayer,
    reachable_positions,
    study_summary,
)
from socialrl_models.board.rules import DRAW, FIRST_WON, PLAYING, SECOND_WON, board_lines

from socialrl import simulate
from socialrl.games import GameRules, IllegalMove
from socialrl.learners.fixed import RandomPolicy
from socialrl.population import Group, Population
from socialrl.study import load_results, load_study, run_study
from tests.contracts import LearnerContract, ModelContract

pytestmark = pytest.mark.core

TTT = KInARow(3, 3, 3)


class TestBoardGameContract(ModelContract):
    model = BoardGameModel
    params = {"n_games": 3, "max_episode_steps": 7}


class TestConnectFourContract(ModelContract):
    model = BoardGameModel
    params = {"n_games": 3, "m": 4, "n": 5, "k": 4, "gravity": True, "first": 1}


class TestPerfectPlayerContract(LearnerContract):
    """The solver as a policy: observations are tic-tac-toe positions, 9 moves."""

    observation_space = BoardGameModel().roles["player"].observation_space
    action_space = gym.spaces.Discrete(9)

    def make(self) -> PerfectPlayer:
        player = PerfectPlayer()
        player.use_rules(TTT)
        return player

    def batch(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        positions = tic_tac_toe_positions()
        n = self.n_agents
        obs, nxt = positions[rng.integers(len(positions), size=(2, n))]
        return obs, rng.integers(9, size=n), rng.normal(size=n), nxt, rng.random(n) < 0.2


@functools.cache
def tic_tac_toe_positions() -> np.ndarray:
    """Every tic-tac-toe position reachable by legal play (computed once)."""
    return reachable_positions(TTT)


def play(rules: KInARow, moves: list[int]) -> np.ndarray:
    """The position after ``moves`` from the empty board (one row)."""
    state = rules.initial(1)
    for move in moves:
        state = rules.play(state, np.array([move]))
    return state[0]


# ------------------------------------------------------------------------------ rules
def test_lines_of_every_direction_are_counted_once() -> None:
    assert board_lines(3, 3, 3).shape == (8, 3)  # 3 rows, 3 columns, 2 diagonals
    for m, n, k in [(4, 4, 4), (4, 5, 4), (6, 7, 4), (3, 5, 2)]:
        diagonals = 2 * max(m - k + 1, 0) * max(n - k + 1, 0)
        expected = m * max(n - k + 1, 0) + n * max(m - k + 1, 0) + diagonals
        lines = board_lines(m, n, k)
        assert len(lines) == expected
        assert len({tuple(sorted(line)) for line in lines.tolist()}) == expected


@pytest.mark.parametrize(
    ("moves", "winner"),
    [
        ([0, 3, 1, 4, 2], FIRST_WON),  # top row
        ([1, 0, 2, 3, 4, 6], SECOND_WON),  # left column
        ([0, 1, 4, 2, 8], FIRST_WON),  # diagonal
        ([2, 0, 4, 1, 6], FIRST_WON),  # anti-diagonal
    ],
)
def test_wins_along_rows_columns_and_diagonals(moves: list[int], winner: int) -> None:
    before = play(TTT, moves[:-1])
    assert before[TTT.status_index] == PLAYING
    after = play(TTT, moves)
    assert after[TTT.status_index] == winner and TTT.terminal(after[None])[0]
    payoff = [1.0, -1.0] if winner == FIRST_WON else [-1.0, 1.0]
    np.testing.assert_array_equal(TTT.payoffs(after[None])[0], payoff)
    assert not TTT.legal(after[None]).any()


def test_a_full_board_without_a_line_is_a_draw() -> None:
    moves = [0, 1, 2, 4, 3, 5, 7, 6, 8]  # X 0 2 3 7 8, O 1 4 5 6
    assert play(TTT, moves[:-1])[TTT.status_index] == PLAYING
    final = play(TTT, moves)
    assert final[TTT.status_index] == DRAW
    np.testing.assert_array_equal(TTT.payoffs(final[None]), [[0.0, 0.0]])


def test_gravity_drops_stones_and_fills_columns() -> None:
    four = KInARow(4, 5, 4, gravity=True)
    assert four.n_actions() == 5
    state = play(four, [2, 2, 2])  # X, O, X stacked in column 2 from the bottom row up
    board = state[: four.cells].reshape(4, 5)
    np.testing.assert_array_equal(board[:, 2], [0, 1, 2, 1])
    assert four.legal(state[None])[0].all()
    full = play(four, [2, 2, 2, 2])
    np.testing.assert_array_equal(four.legal(full[None])[0], [True, True, False, True, True])
    # Four in the bottom row: X plays columns 0..3, O stacks on column 0.
    won = play(four, [0, 0, 1, 0, 2, 0, 3])
    assert won[four.status_index] == FIRST_WON
    assert four.to_text(won).splitlines()[-1] == "X X X X ."


def test_rules_are_pure_and_features_take_the_movers_view() -> None:
    state = TTT.initial(2)
    kept = state.copy()
    after = TTT.play(state, np.array([4, 0]))
    np.testing.assert_array_equal(state, kept)  # never mutated
    assert isinstance(TTT, GameRules)
    np.testing.assert_array_equal(TTT.to_move(after), [1, 1])
    features = TTT.features(after)
    assert features.dtype == np.float32 and features.shape == (2, 18)
    # O moves now: X's stone is the opponent's (second plane).
    assert features[0, 9 + 4] == 1 and features[0, :9].sum() == 0
    features = TTT.features(TTT.play(after, np.array([0, 4])))
    assert features[0, 4] == 1 and features[0, 9 + 0] == 1  # X to move: its stone first


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"m": 0}, "m must be an integer in \\[1, 19\\], got 0"),
        ({"n": 20}, "n must be an integer"),
        ({"m": 3, "n": 3, "k": 4}, "k must be at most max\\(m, n\\) = 3"),
        ({"k": 2.5}, "k must be an integer"),
        ({"m": True}, "m must be an integer"),
        ({"gravity": "yes"}, "gravity must be true or false"),
    ],
)
def test_bad_rules_are_refused_in_one_line(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        KInARow(**kwargs)
    assert "\n" not in str(refused.value)


def test_bad_model_parameters_are_refused_in_one_line() -> None:
    for kwargs, message in [
        ({"n_games": 0}, "n_games must be an integer ≥ 1"),
        ({"first": 2}, "first must be the seat 0 or 1"),
        ({"k": 5}, "k must be at most"),
        ({"max_episode_steps": 0}, "max_episode_steps must be a positive integer"),
    ]:
        with pytest.raises(ValueError, match=message) as refused:
            BoardGameModel(**kwargs)
        assert "\n" not in str(refused.value)


def test_an_illegal_move_is_refused_before_anything_changes() -> None:
    model = BoardGameModel(n_games=2, rng=0)
    model.set_actions("player", np.array([4, 0, 4, 0]))
    model.step()  # X takes the centre in both games
    before = model.positions.copy()
    with pytest.raises(IllegalMove, match="illegal move 4 in game 1") as refused:
        model.set_actions("player", np.array([0, 5, 0, 4]))  # game 1: O on the taken centre
    assert "\n" not in str(refused.value) and "legal moves there: [0, 1, 2, 3, 5" in str(
        refused.value
    )
    np.testing.assert_array_equal(model.positions, before)
    column = BoardGameModel(n_games=1, m=2, n=2, k=2, gravity=True, rng=0)
    for _ in range(2):
        column.set_actions("player", np.array([1, 1]))
        column.step()
    with pytest.raises(IllegalMove, match="legal moves there: \\[0\\]"):
        column.set_actions("player", np.array([1, 1]))  # the column is full


# ------------------------------------------------------------------------------ the model
def test_a_game_by_hand_rewards_ends_and_restarts() -> None:
    model = BoardGameModel(n_games=1, rng=0)
    movers, trace = [], []
    for actions in ([0, 0], [0, 8], [1, 0], [0, 7], [2, 0]):  # X 0, O 8, X 1, O 7, X 2
        model.set_actions("player", np.array(actions))  # the waiting seat's action is ignored
        model.step()
        movers.append(model.moved("player").tolist())
        trace.append(model.outcome("player"))
    assert movers == [[True, False], [False, True]] * 2 + [[True, False]]
    rewards = np.array([out.reward for out in trace])
    assert not rewards[:4].any()
    np.testing.assert_array_equal(rewards[4], [1.0, -1.0])  # X completed the top row
    last = trace[-1]
    assert last.terminated.all() and not last.truncated.any()
    np.testing.assert_array_equal(last.next_obs[:, :9], [[1, 1, 1, 0, 0, 0, 0, 2, 2]] * 2)
    np.testing.assert_array_equal(last.obs, np.zeros((2, 11)))  # restarted, X to move
    games = model.final_tables()["games"]
    assert games.astype({"outcome": str}).to_dict("records") == [
        {
            "game": 0,
            "episode": 0,
            "end_step": 5,
            "length": 5,
            "winner": 0,
            "outcome": "first",
            "moves": "0 8 1 7 2",
        }
    ]
    metrics = model.metrics()
    assert metrics["games_finished"] == 1.0 and metrics["first_win_share"] == 1.0
    assert metrics["game_length"] == 5.0


def test_the_first_seat_and_the_replays_of_a_gravity_game() -> None:
    model = BoardGameModel(n_games=1, m=4, n=5, k=4, gravity=True, first=1, rng=0)
    assert [p.to_move for p in model.role_agents("player")] == [False, True]
    for column in [0, 0, 1, 0, 2, 0, 3]:  # seat 1 (X) plays 0 1 2 3 along the bottom
        model.set_actions("player", np.array([column, column]))
        model.step()
    out = model.outcome("player")
    np.testing.assert_array_equal(out.reward, [-1.0, 1.0])
    tables = model.final_tables()
    assert tables["games"]["winner"].tolist() == [1]
    replay = tables["replays"]
    assert replay["seat"].tolist() == [1, 0, 1, 0, 1, 0, 1]
    assert replay["stone"].tolist() == list("XOXOXOX")
    assert list(zip(replay["row"], replay["col"], strict=True)) == [
        (3, 0), (2, 0), (3, 1), (1, 0), (3, 2), (0, 0), (3, 3)
    ]  # fmt: skip
    assert "game 0 (X to move)" in model.render_text()


def test_time_limit_cuts_games_and_without_autoreset_they_rest() -> None:
    model = BoardGameModel(n_games=2, max_episode_steps=3, autoreset=False, rng=0)
    for step in range(3):
        model.set_actions("player", np.array([step, step, 3 + step, 3 + step]))
        model.step()
    out = model.outcome("player")
    assert out.truncated.all() and not out.terminated.any()
    assert not model.active("player").any() and not model.legal_actions("player").any()
    assert model.final_tables()["games"]["outcome"].tolist() == ["unfinished"] * 2


def _board_population(
    first: PerfectPlayer | RandomPolicy, second: PerfectPlayer | RandomPolicy
) -> Population:
    return Population(
        [
            Group(first, role="player", agents={"seat": 0}),
            Group(second, role="player", agents={"seat": 1}),
        ]
    )


def test_two_perfect_players_always_draw() -> None:
    results = simulate(
        "board",
        {"n_games": 100},
        _board_population(PerfectPlayer(), PerfectPlayer()),
        steps=9,
        record_every=9,
        seed=5,
    )
    games = results.extra["games"]
    assert len(games) == 100 and (games["outcome"] == "draw").all()
    assert games["moves"].nunique() > 20  # random among the optimal moves: many lines


@pytest.mark.parametrize("solver_first", [True, False])
def test_the_perfect_player_never_loses_to_random_play(solver_first: bool) -> None:
    perfect, random = PerfectPlayer(), RandomPolicy()
    results = simulate(
        "board",
        {"n_games": 200, "first": 0 if solver_first else 1},
        _board_population(perfect, random),  # the solver at seat 0 either way
        steps=9,
        record_every=9,
        seed=6,
    )
    games = results.extra["games"]
    assert (games["episode"] == 0).sum() == 200  # every board's first game has ended
    assert (games["winner"] != 1).all()  # the random seat never wins
    assert (games["winner"] == 0).mean() > 0.5


def test_the_perfect_player_holds_small_connect_four_and_reads_its_rules() -> None:
    results = simulate(
        "board",
        {"n_games": 40, "m": 4, "n": 5, "k": 4, "gravity": True, "first": 1},
        _board_population(PerfectPlayer(fastest=True), RandomPolicy()),
        steps=20,
        record_every=20,
        seed=7,
    )
    assert (results.extra["games"]["winner"] != 1).all()
    player = PerfectPlayer()
    with pytest.raises(RuntimeError, match="no rules yet"):
        player.act(TTT.initial(1))
    with pytest.raises(TypeError, match="solves k-in-a-row boards"):
        player.use_rules(object())  # type: ignore[arg-type]
    player.bind(1, gym.spaces.Discrete(3), gym.spaces.Discrete(5), np.random.SeedSequence(0))
    with pytest.raises(ValueError, match="the role has 5 actions"):
        player.use_rules(TTT)


# ------------------------------------------------------------------------------ the study
def test_the_study_file_and_its_summary(tmp_path: Any) -> None:
    spec, _ = load_study(
        Path(__file__).resolve().parents[1] / "studies/board_random_vs_solver.toml"
    )
    spec = spec.model_copy(
        update={
            "model": spec.model.model_copy(update={"params": {"n_games": 20}}),
            "run": spec.run.model_copy(update={"steps": 30, "record_every": 10}),
        }
    )
    report = run_study(spec, out=tmp_path, backend="sequential")
    assert report.failed == 0
    outcomes = study_summary(load_results(report.path))["outcomes"]
    assert isinstance(outcomes, pd.DataFrame)
    assert outcomes["model.first"].tolist() == [0, 1] and (outcomes["runs"] == 2).all()
    # Seat 0 is the solver: as the opener it never loses, as the answerer it never loses.
    opener, answerer = outcomes.iloc[0], outcomes.iloc[1]
    assert opener["second_win_share"] == 0 and answerer["first_win_share"] == 0
    assert opener["first_win_share"] > 0.5 and opener["games"] >= 40
    shares = outcomes[["first_win_share", "draw_share", "second_win_share"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
