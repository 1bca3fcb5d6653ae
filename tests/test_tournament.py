"""Tournaments: known answers, the ``axelrod`` library as oracle, the Moran process, bad input.

For the same deterministic players and turns, every match's moves and scores and the round
robin's scores, normalised scores, wins, payoff matrix and ranking equal the library's exactly.
Where randomness enters (noise, stochastic strategies, probabilistic ends) the two draw from
different streams, so distributions are compared: means within a few standard errors.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from socialrl.cli import app
from socialrl.learners import QLearning
from socialrl.tournament import (
    C,
    D,
    Game,
    LearnerPlayer,
    MatchSettings,
    MoranSettings,
    Strategy,
    TournamentSettings,
    fixation_probability,
    fixation_table,
    make_strategy,
    play_matches,
    round_robin,
    simulate,
)
from socialrl.tournament.history import History
from socialrl.tournament.learner_player import memory_state
from socialrl.tournament.spec import TournamentSpecError, load_tournament

axl = pytest.importorskip("axelrod")

ROOT = Path(__file__).resolve().parents[1]
#: A wide console, so that rich wraps no line of what is asserted on.
WIDE = {"COLUMNS": "250"}

#: Our name → the library's player, for the deterministic strategies.
DETERMINISTIC = {
    "Cooperator": axl.Cooperator,
    "Defector": axl.Defector,
    "TitForTat": axl.TitForTat,
    "SuspiciousTitForTat": axl.SuspiciousTitForTat,
    "TitFor2Tats": axl.TitFor2Tats,
    "TwoTitsForTat": axl.TwoTitsForTat,
    "Grudger": axl.Grudger,
    "WinStayLoseShift": axl.WinStayLoseShift,
    "Alternator": axl.Alternator,
    "GoByMajority": axl.GoByMajority,
}


def ours(*names: str) -> list[Strategy]:
    return [make_strategy(n) for n in names]


def as_codes(result: list[tuple[object, object]]) -> np.ndarray:
    """The library's ``[(C, D), …]`` as ``int8[2, turns]`` (C = 0, D = 1)."""
    return np.array([[int(a == axl.Action.D), int(b == axl.Action.D)] for a, b in result]).T


# ------------------------------------------------------------------------------ known answers
def test_tit_for_tat_against_defector_over_200_turns_scores_199_and_204() -> None:
    played = play_matches(ours("TitForTat", "Defector"), [(0, 1)], MatchSettings(turns=200))
    assert played.scores.tolist() == [[199.0, 204.0]]  # S once, then P 199 times; T, then P
    assert played.moves[0, 0, :3].tolist() == [C, D, D]


def test_known_matches_and_the_default_game() -> None:
    game = Game()
    assert game.matrix.tolist() == [[3, 0], [5, 1]]
    assert game.generosity == pytest.approx(1 / 3)  # min(1 − 2/3, 2/4): axelrod's GTFT p
    pairs = [(0, 1), (0, 0), (2, 0), (3, 3)]
    played = play_matches(ours("Cooperator", "Defector", "Alternator", "Grudger"), pairs)
    assert played.scores.tolist() == [[0, 1000], [600, 600], [800, 300], [600, 600]]


def test_full_noise_flips_every_move() -> None:
    """noise = 1: two cooperators always defect, so each gets P every turn."""
    played = play_matches(ours("Cooperator"), [(0, 0)], MatchSettings(turns=10, noise=1.0))
    assert played.scores.tolist() == [[10.0, 10.0]]
    assert played.cooperations.tolist() == [[0, 0]]


def test_memory_one_vectors_and_gtft_reproduce_the_classic_rules() -> None:
    """axelrod's MemoryOnePlayer docstring: TFT (1, 0, 1, 0), WSLS (1, 0, 0, 1), Alternator."""
    same = {
        "TitForTat": make_strategy("MemoryOne", {"four_vector": [1, 0, 1, 0]}),
        "WinStayLoseShift": make_strategy("MemoryOne", {"four_vector": [1, 0, 0, 1]}),
        "Alternator": make_strategy("MemoryOne", {"four_vector": [0, 0, 1, 1]}),
        "SuspiciousTitForTat": make_strategy(
            "MemoryOne", {"four_vector": [1, 0, 1, 0], "initial": "D"}
        ),
    }
    opponents = ours("Alternator", "SuspiciousTitForTat", "Defector", "GoByMajority")
    for classic, twin in same.items():
        players = [make_strategy(classic), twin, *opponents]
        pairs = [(0, k) for k in range(2, 6)] + [(1, k) for k in range(2, 6)]
        played = play_matches(players, pairs, MatchSettings(turns=40), seed=8)
        assert (played.moves[:4] == played.moves[4:]).all(), classic
    gtft = play_matches(
        [make_strategy("GTFT", {"p": 0.0}), *ours("TitForTat", "Alternator")],
        [(0, 2), (1, 2)],
        MatchSettings(turns=40),
    )
    assert (gtft.moves[0] == gtft.moves[1]).all()  # GTFT(0) is tit-for-tat


def test_random_cooperates_with_probability_p() -> None:
    played = play_matches([make_strategy("Random", {"p": 0.3})], [(0, 0)] * 50, seed=2)
    rate = played.cooperations.sum() / (2 * played.lengths.sum())
    assert abs(rate - 0.3) < 4 * np.sqrt(0.3 * 0.7 / (2 * played.lengths.sum()))


def test_memory_states_code_the_last_moves() -> None:
    moves = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=np.int8)  # seat rows, 2 turns
    defections = moves.sum(axis=1)
    start = History(moves, defections, np.array([0, 2]), 0, Game())
    assert memory_state(start, 1).tolist() == [0, 0]  # nothing played yet
    after = History(moves, defections, np.arange(4), 1, Game())
    # seat 0: own C opp D → 3·1 + 2; seat 1: D, C → 3·2 + 1; seat 2: D, C; seat 3: C, D
    assert memory_state(after, 1).tolist() == [5, 7, 7, 5]
    both = History(moves, defections, np.arange(4), 2, Game())
    assert memory_state(both, 2)[0] == 9 * (3 * 2 + 2) + (3 * 1 + 2)


def test_probabilistic_ends_have_the_geometric_mean_length() -> None:
    """E[min(G, T)] = (1 − (1 − p)^T) / p for G geometric with success probability p."""
    p, turns = 0.1, 30
    settings = MatchSettings(turns=turns, prob_end=p)
    played = play_matches(ours("TitForTat"), np.zeros((4000, 2), dtype=int), settings, seed=3)
    expected = (1 - (1 - p) ** turns) / p
    se = played.lengths.std(ddof=1) / np.sqrt(played.lengths.size)
    assert abs(played.lengths.mean() - expected) < 4 * se
    assert played.lengths.min() >= 1 and played.lengths.max() <= turns
    assert (played.scores == 3 * played.lengths[:, None]).all()  # TFT pairs always cooperate
    assert (played.moves[0, 0, played.lengths[0] :] == -1).all()  # nothing after the end


# ------------------------------------------------------------------------ axelrod as oracle
def test_every_deterministic_match_equals_axelrods() -> None:
    names = list(DETERMINISTIC)
    pairs = [(i, j) for i in range(len(names)) for j in range(i, len(names))]
    played = play_matches(ours(*names), pairs, MatchSettings(turns=200))
    for m, (i, j) in enumerate(pairs):
        match = axl.Match((DETERMINISTIC[names[i]](), DETERMINISTIC[names[j]]()), turns=200)
        match.play()
        assert played.moves[m].tolist() == as_codes(match.result).tolist(), (names[i], names[j])
        assert played.scores[m].tolist() == list(match.final_score()), (names[i], names[j])


def test_round_robin_equals_axelrods_tournament_exactly() -> None:
    names = list(DETERMINISTIC)
    results = round_robin(ours(*names), TournamentSettings(turns=200, repetitions=2))
    library = axl.Tournament(
        [DETERMINISTIC[n]() for n in names], turns=200, repetitions=2, seed=1
    ).play(progress_bar=False)

    def wide(column: str) -> list[list[float]]:
        table = results.scores.pivot(index="player", columns="repetition", values=column)
        return table.loc[names].to_numpy().tolist()

    assert wide("score") == library.scores  # totals against the others, self-play left out
    assert wide("score_per_turn") == library.normalised_scores
    assert wide("wins") == library.wins
    assert results.payoff_matrix().tolist() == library.payoff_matrix
    assert list(results.ranking["player"]) == [names[i] for i in library.ranking]


def test_noisy_tournament_matches_axelrods_in_distribution() -> None:
    names = ["TitForTat", "Defector", "WinStayLoseShift", "Grudger", "Random", "GTFT"]
    library_players = [
        axl.TitForTat(),
        axl.Defector(),
        axl.WinStayLoseShift(),
        axl.Grudger(),
        axl.Random(0.5),
        axl.GTFT(),
    ]
    reps, turns, noise = 30, 50, 0.05
    settings = TournamentSettings(turns=turns, repetitions=reps, noise=noise)
    results = round_robin(ours(*names), settings, seed=11)
    library = axl.Tournament(
        library_players, turns=turns, repetitions=reps, noise=noise, seed=11
    ).play(progress_bar=False)
    mine = results.scores.pivot(index="player", columns="repetition", values="score_per_turn")
    mine_values = mine.loc[names].to_numpy()
    theirs = np.array(library.normalised_scores)
    se = np.sqrt(mine_values.var(axis=1, ddof=1) / reps + theirs.var(axis=1, ddof=1) / reps)
    z = (mine_values.mean(axis=1) - theirs.mean(axis=1)) / se
    assert (np.abs(z) < 4).all(), dict(zip(names, z.round(2), strict=True))
    assert (se > 0).all()  # noise makes every player's score vary


# ------------------------------------------------------------------------ learners as players
def test_a_q_learner_learns_to_defect_against_a_defector_during_the_match() -> None:
    learner = QLearning(alpha=0.5, gamma=0.0, epsilon=0.05)
    players = [LearnerPlayer("Q", learner), make_strategy("Defector")]
    played = play_matches(players, np.tile([0, 1], (20, 1)), MatchSettings(turns=300), seed=5)
    late = played.moves[:, 0, -100:]
    assert (late == D).mean() > 0.9  # D earns P = 1 > S = 0 whatever the memory state
    assert (played.moves[:, 0, :1] == C).mean() < 1  # it did not cooperate by rule
    assert learner.q_values().shape == (20, 9, 2)  # one table per match seat, 9 memory states


def test_tournaments_with_learners_are_reproducible_from_the_seed() -> None:
    def play(seed: int) -> pd.DataFrame:
        players = [LearnerPlayer("Q", QLearning(epsilon=0.2), memory=2), *ours("TitForTat")]
        settings = TournamentSettings(turns=50, repetitions=3, noise=0.05)
        return round_robin(players, settings, seed).matches

    pd.testing.assert_frame_equal(play(4), play(4))
    assert not play(4).equals(play(5))


def test_a_player_returning_bad_moves_is_named() -> None:
    broken = Strategy("Broken", lambda history, rng: np.full(history.n, 2))
    with pytest.raises(ValueError, match=r"player 'Broken' returned move 2; moves are C = 0"):
        play_matches([broken], [(0, 0)], MatchSettings(turns=3))


# ------------------------------------------------------------------------------ Moran process
def test_neutral_fixation_is_one_over_n() -> None:
    assert fixation_probability(np.full((2, 2), 2.0), 7) == pytest.approx(1 / 7)
    assert fixation_probability(np.array([[3.0, 0.0], [5.0, 1.0]]), 5, 1e-9) == pytest.approx(0.2)


def test_simulated_fixation_matches_the_closed_form() -> None:
    payoffs = np.array([[3.0, 1.0], [2.0, 2.5]])
    for population in (3, 8):
        exact = fixation_probability(payoffs, population)
        outcome = simulate(payoffs, [1, population - 1], np.random.default_rng(0), runs=20_000)
        fixed = (outcome.fixed == 0).mean()
        se = np.sqrt(exact * (1 - exact) / 20_000)
        assert abs(fixed - exact) < 4 * se, (population, fixed, exact)


def test_moran_over_tournament_payoffs_matches_axelrods_moran_process() -> None:
    """One Defector among three TitForTats, 5-turn matches: the closed form, us and the library."""
    results = round_robin(ours("Defector", "TitForTat"), TournamentSettings(turns=5, repetitions=1))
    payoffs = results.payoff_matrix()  # [[1, 1.8], [0.8, 3]] per turn
    exact = fixation_probability(payoffs, 4)
    assert exact == pytest.approx(0.2318, abs=1e-4)
    table = fixation_table(results.names, payoffs, MoranSettings(population=4, runs=4000), seed=2)
    row = table[(table["mutant"] == "Defector") & (table["resident"] == "TitForTat")].iloc[0]
    assert row["exact"] == exact and row["n"] == 4000 and row["neutral"] == 0.25
    assert row["ci95_low"] <= exact <= row["ci95_high"]
    runs, cache = 300, axl.DeterministicCache()
    won = 0
    for seed in range(runs):
        players = [axl.Defector()] + [axl.TitForTat() for _ in range(3)]
        process = axl.MoranProcess(players, turns=5, seed=seed, deterministic_cache=cache)
        process.play()
        won += process.winning_strategy_name == "Defector"
    assert abs(won / runs - exact) < 4 * np.sqrt(exact * (1 - exact) / runs)


def test_fixation_table_covers_every_ordered_pair() -> None:
    names = ("A", "B", "C")
    payoffs = np.array([[3.0, 0.0, 1.0], [5.0, 1.0, 2.0], [2.0, 2.0, 2.0]])
    table = fixation_table(names, payoffs, MoranSettings(population=5, runs=50), seed=1)
    assert len(table) == 6 and set(table["n"]) == {50}
    for _, row in table.iterrows():
        m, r = names.index(row["mutant"]), names.index(row["resident"])
        sub = payoffs[np.ix_([m, r], [m, r])]
        assert row["exact"] == fixation_probability(sub, 5)


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: MatchSettings(noise=1.5), r"noise must be a probability in \[0, 1\], got 1.5"),
        (lambda: MatchSettings(turns=0), r"turns must be a whole number ≥ 1, got 0"),
        (lambda: MatchSettings(prob_end=0.0), r"prob_end must lie in \(0, 1\]"),
        (lambda: TournamentSettings(repetitions=0), r"repetitions must be a whole number ≥ 1"),
        (lambda: make_strategy("Random", {"p": 2}), r"p must be a probability in \[0, 1\]"),
        (lambda: make_strategy("Nope"), r"unknown strategy 'Nope'; allowed: Cooperator, "),
        (lambda: make_strategy("TitForTat", {"p": 1}), r"takes no parameter p; it takes none"),
        (lambda: MoranSettings(selection=0), r"selection must lie in \(0, 1\], got 0"),
        (lambda: round_robin(ours("TitForTat")), r"at least 2 players, got 1"),
    ],
)
def test_bad_arguments_are_one_line_errors(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        call()  # type: ignore[operator]
    assert "\n" not in str(err.value)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text('name = "t"\n' + text)
    return path


TWO = '[[players]]\nstrategy = "TitForTat"\n[[players]]\nstrategy = "Defector"\n'


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '[[players]]\nstrategy = "TitForTatt"\n' + TWO,
            "key 'players[0].strategy': unknown strategy 'TitForTatt'; allowed: Cooperator,",
        ),
        ("noise = 1.5\n" + TWO, "key 'noise': Input should be less than or equal to 1 (got 1.5)"),
        ("turns = 0\n" + TWO, "key 'turns': Input should be greater than or equal to 1 (got 0)"),
        ("turns = 2.5\n" + TWO, "key 'turns': Input should be a valid integer (got 2.5)"),
        ("colour = 1\n" + TWO, "unknown key 'colour'; allowed: name, description, seed, turns"),
        (
            '[[players]]\nstrategy = "Random"\nparams = { p = 2 }\n' + TWO,
            "key 'players[0].params': p must be a probability in [0, 1], got 2",
        ),
        (
            '[[players]]\nlearner = "q_learnin"\n' + TWO,
            "key 'players[0].learner': unknown learner 'q_learnin'; allowed:",
        ),
        (
            '[[players]]\nlearner = "q_learning"\nparams = { beta = 1 }\n' + TWO,
            "key 'players[0].params': learner 'q_learning' takes no parameter 'beta'",
        ),
        (
            '[[players]]\nstrategy = "TitForTat"\n' + TWO,
            "key 'players': two players share the name 'TitForTat'",
        ),
        (
            '[[players]]\nstrategy = "Grudger"\nmemory = 2\n' + TWO,
            "key 'players[0]': memory is for learners",
        ),
        ("[moran]\npopulation = 1\n" + TWO, "key 'moran.population': Input should be greater"),
    ],
)
def test_bad_tournament_files_name_the_file_and_key(tmp_path: Path, text: str, line: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TournamentSpecError) as err:
        load_tournament(path)
    assert len(err.value.lines) == 1, err.value.lines
    assert err.value.lines[0].startswith(f"{path}: {line}"), err.value.lines


def test_every_error_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, 'noise = -0.1\nturns = 0\n[[players]]\nstrategy = "Nope"\n' + TWO)
    with pytest.raises(TournamentSpecError) as err:
        load_tournament(path)
    keys = [line.split("key '")[1].split("'")[0] for line in err.value.lines]
    assert keys == ["turns", "noise", "players[0].strategy"]


def test_the_study_file_is_valid() -> None:
    spec = load_tournament(ROOT / "studies" / "axelrod_tournament.toml")
    names = [p.name for p in spec.build_players()]
    assert "Q-learner" in names and "TitForTat" in names and spec.noise > 0
    assert spec.moran is not None


# ----------------------------------------------------------------------------- the command
def test_the_command_writes_tidy_tables_inside_the_output_folder(tmp_path: Path) -> None:
    text = (
        "seed = 3\nturns = 20\nrepetitions = 3\nnoise = 0.02\n"
        '[[players]]\nlearner = "q_learning"\nname = "Q"\n' + TWO + "[moran]\nruns = 20\n"
    )
    path, out = write(tmp_path, text), tmp_path / "out"
    before = set(tmp_path.iterdir())
    result = CliRunner().invoke(app, ["tournament", str(path), "--out", str(out)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert set(tmp_path.iterdir()) - before == {out}
    folder = out / "t"
    for name in ("matches", "scores", "ranking", "payoffs", "fixation"):
        assert (folder / f"{name}.parquet").exists() and (folder / f"{name}.csv").exists()
    ranking = pd.read_parquet(folder / "ranking.parquet")
    assert sorted(ranking["rank"]) == [1, 2, 3] and set(ranking["n"]) == {3}
    assert len(pd.read_csv(folder / "matches.csv")) == 2 * 6 * 3  # sides × pairs × repetitions
    assert "TitForTat" in result.stdout


def test_the_command_refuses_a_bad_file_with_exit_code_2(tmp_path: Path) -> None:
    path = write(tmp_path, "noise = 2\nturns = 0\n" + TWO)
    result = CliRunner().invoke(app, ["tournament", str(path)], env=WIDE)
    assert result.exit_code == 2
    assert result.output.count("error:") == 2 and "'noise'" in result.output
    assert not (tmp_path / "results").exists()


def test_pairs_include_self_play_like_axelrod() -> None:
    results = round_robin(ours("TitForTat", "Defector", "Grudger"), TournamentSettings(turns=5))
    first = results.matches[results.matches["repetition"] == 0]
    played = {tuple(sorted(p)) for p in first[["player", "opponent"]].astype(str).to_numpy()}
    pairs = itertools.combinations_with_replacement(results.names, 2)
    assert played == {tuple(sorted(p)) for p in pairs}
    assert len(first) == 2 * 6  # two sides of each of the 6 matches
