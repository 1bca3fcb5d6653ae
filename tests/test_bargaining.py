"""Alternating-offers bargaining and the ultimatum game: the rules and the model.

The rules by hand (moves, discounted payoffs, disagreement, the position row); the model's
contract, a hand trace of its steps, its refusals (bad parameters, forced illegal moves,
learners that cannot respect the masks); subgame-perfect players agreeing at once; the study
summary's statistics by hand. The equilibrium itself: ``tests/test_bargaining_theory.py``.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from socialrl_models.bargaining import (
    AlternatingOffers,
    BargainingModel,
    SPEPlayer,
    spe_offer,
    spe_path,
)
from socialrl_models.bargaining.final_tables import acceptance_threshold
from socialrl_models.bargaining.summary import offers_summary

from socialrl.capabilities import MaskedActing
from socialrl.games import IllegalMove, play_out, sample_legal
from socialrl.learners import QLearning
from socialrl.learners.fixed import FixedAction, RandomPolicy
from socialrl.population import Group, Population
from tests.contracts import LearnerContract, ModelContract

pytestmark = pytest.mark.core


class TestBargainingContract(ModelContract):
    model = BargainingModel
    params = {"n_games": 3, "pie": 4, "horizon": 2, "delta": (0.9, 0.7), "max_episode_steps": 3}
    steps = 20


class TestUltimatumContract(ModelContract):
    model = BargainingModel
    params = {"n_games": 4, "pie": 3, "horizon": 1}
    steps = 10


class TestSPEPlayerContract(LearnerContract):
    rules = AlternatingOffers(pie=5, delta=0.8, horizon=3)
    low, high = rules.position_bounds()
    observation_space = gym.spaces.Box(low, high, shape=low.shape, dtype=np.int64)
    action_space = gym.spaces.Discrete(rules.n_actions())

    def make(self) -> SPEPlayer:
        player = SPEPlayer()
        player.use_rules(self.rules)
        return player

    def batch(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        n, S = self.n_agents, self.rules.n_states() - 1
        obs = self.rules.positions(rng.integers(S, size=n))
        nxt = self.rules.positions(rng.integers(S, size=n))
        actions = rng.integers(self.rules.n_actions(), size=n)
        return obs, actions, rng.normal(size=n), nxt, rng.random(n) < 0.2


# ------------------------------------------------------------------------------ the rules
def test_moves_are_proposals_then_answers() -> None:
    rules = AlternatingOffers(pie=4, delta=0.9, horizon=2)
    start = rules.initial(2)
    assert start.tolist() == [[0, 0, -1, 0, 0]] * 2  # round 0, proposing, no offer, player 0
    assert rules.legal(start)[0].tolist() == [True] * 5 + [False, False]
    answering = rules.play(start, np.array([3, 1]))
    assert answering.tolist() == [[0, 1, 3, 1, 0], [0, 1, 1, 1, 0]]  # player 1 answers
    assert rules.legal(answering)[0].tolist() == [False] * 5 + [True, True]
    assert start.tolist() == [[0, 0, -1, 0, 0]] * 2, "play returns new rows"
    # Player 1 accepts "player 0 keeps 3"; it rejects "keeps 1": round 1, player 1 proposes.
    after = rules.play(answering, np.array([rules.accept, rules.reject]))
    assert after.tolist() == [[0, 1, 3, -1, 1], [1, 0, -1, 1, 0]]
    assert rules.terminal(after).tolist() == [True, False]
    assert not rules.legal(after)[0].any()
    np.testing.assert_allclose(rules.payoffs(after), [[0.75, 0.25], [0.0, 0.0]])


def test_payoffs_are_discounted_per_player_and_the_last_rejection_ends_it() -> None:
    rules = AlternatingOffers(pie=10, delta=(0.9, 0.6), horizon=2)
    states = rules.play(rules.initial(2), np.array([8, 8]))
    states = rules.play(states, np.array([rules.reject, rules.reject]))  # to round 1
    states = rules.play(states, np.array([3, 3]))  # player 1 proposes to keep 3
    end = rules.play(states, np.array([rules.accept, rules.reject]))
    assert end[:, 4].tolist() == [1, 2]  # agreed; disagreement
    assert end[1].tolist() == [1, 1, 3, -1, 2]  # the last rejected offer stays on record
    # Round 1: player 0 gets δ₀ · 7/10, player 1 δ₁ · 3/10; disagreement gives nothing.
    np.testing.assert_allclose(rules.payoffs(end), [[0.9 * 0.7, 0.6 * 0.3], [0.0, 0.0]])
    assert rules.play(end, np.array([0, 0])).tolist() == end.tolist(), "finished stays finished"


def test_random_games_end_within_two_moves_a_round_with_shares_of_the_pie() -> None:
    rules = AlternatingOffers(pie=6, delta=0.8, horizon=4)
    rng = np.random.default_rng(0)
    states = rules.initial(500)
    for _ in range(2 * 4):
        states = rules.play(states, sample_legal(rules.legal(states), rng))
    assert rules.terminal(states).all()
    payoffs = play_out(rules, rules.initial(500), rng)
    assert payoffs.shape == (500, 2)
    assert (payoffs >= 0).all() and (payoffs.sum(axis=1) <= 1 + 1e-12).all()
    assert (payoffs.sum(axis=1) == 0).any() and (payoffs.sum(axis=1) > 0).any()


def test_features_are_the_movers_view() -> None:
    rules = AlternatingOffers(pie=4, delta=(0.9, 0.5), horizon=2)
    answering = rules.play(rules.initial(1), np.array([3]))  # player 1 would get 1 unit
    f = rules.features(answering)[0]
    assert f.dtype == np.float32 and f.shape == (2 + 2 + 5 + 4,)
    assert f[:2].tolist() == [1, 0] and f[2:4].tolist() == [0, 1]
    assert f[4:9].tolist() == [0, 1, 0, 0, 0]  # one-hot: the mover's 1 unit
    np.testing.assert_allclose(f[9:], [0.5, 0.9, 1.0, 1.0])  # own δ first
    round1 = rules.play(answering, np.array([rules.reject]))  # player 1 proposes in round 1
    np.testing.assert_allclose(rules.features(round1)[0][9:], [0.5, 0.9, 0.5, 0.9])


def test_state_indices_number_every_position_in_play_once() -> None:
    rules = AlternatingOffers(pie=3, delta=0.9, horizon=3)
    inside = np.arange(rules.n_states() - 1)
    positions = rules.positions(inside)
    np.testing.assert_array_equal(rules.state_index(positions), inside)
    assert np.unique(positions, axis=0).shape[0] == inside.size
    ended = rules.play(rules.play(rules.initial(1), np.array([2])), np.array([rules.accept]))
    assert rules.state_index(ended).tolist() == [rules.n_states() - 1]
    with pytest.raises(ValueError, match=r"lies in \[0, 15\)"):
        rules.positions(np.array([15]))


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pie": 0}, "pie must be a whole number ≥ 1, got 0"),
        ({"pie": 2.5}, "pie must be a whole number ≥ 1, got 2.5"),
        ({"pie": True}, "pie must be a whole number ≥ 1, got True"),
        ({"delta": 0.0}, r"delta must lie in \(0, 1\] \(a discount factor per round\), got 0.0"),
        ({"delta": 1.5}, r"delta must lie in \(0, 1\]"),
        ({"delta": (0.9, 0.0)}, r"delta\[1\] must lie in \(0, 1\]"),
        ({"delta": (0.9,)}, r"delta must be one discount factor or a pair"),
        ({"horizon": 0}, "horizon must be a whole number ≥ 1, got 0"),
        ({"n_games": 0}, "n_games must be a whole number ≥ 1, got 0"),
        ({"observation": "pixels"}, "observation must be one of 'position', 'state', got 'pixels'"),
        ({"max_episode_steps": 0}, "max_episode_steps must be a positive integer"),
    ],
)
def test_bad_parameters_are_refused_in_one_line(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        BargainingModel(**params)  # type: ignore[arg-type]
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("forced", "what"),
    [(6, "accept while proposing"), (9, "an offer outside the pie"), (-1, "negative")],
)
def test_forced_illegal_moves_are_refused_before_anything_changes(forced: int, what: str) -> None:
    model = BargainingModel(n_games=2, pie=4, horizon=2)
    before = model.observe().copy()
    actions = np.array([2, 0, forced, 0])  # game 1's proposer plays the illegal move
    with pytest.raises(IllegalMove) as refused:
        model.set_actions("player", actions)
    message = str(refused.value)
    assert "\n" not in message, what
    assert f"illegal move {forced} in bargaining game 1" in message
    assert "legal moves there: [0, 1, 2, 3, 4]" in message
    np.testing.assert_array_equal(model.observe(), before)
    model.set_actions("player", np.array([2, 0, 1, 0]))
    model.step()  # the model still steps after a refusal (non-movers' actions are ignored)
    assert model.observe()[::2, :3].tolist() == [[0, 1, 2], [0, 1, 1]]
    # A responder that proposes is refused too.
    with pytest.raises(IllegalMove, match=r"in bargaining game 0 .* legal moves there: \[5, 6\]"):
        model.set_actions("player", np.array([0, 3, 0, model.rules.accept]))


def test_a_planner_needs_positions_to_plan_from() -> None:
    model = BargainingModel(observation="state")
    with pytest.raises(ValueError, match="observation='state' hides the positions"):
        model.game_rules("player")
    with pytest.raises(TypeError, match="SPEPlayer reads bargaining positions"):
        Population({"player": SPEPlayer()}).bind(model, np.random.SeedSequence(0))
    with pytest.raises(TypeError, match="SPEPlayer plays alternating-offers bargaining"):
        SPEPlayer().use_rules(object())  # type: ignore[arg-type]
    unseated, space = SPEPlayer(), BargainingModel().roles["player"].observation_space
    unseated.bind(2, space, gym.spaces.Discrete(13), np.random.SeedSequence(0))
    with pytest.raises(RuntimeError, match="has no game to play"):
        unseated.greedy(np.zeros((2, 5), dtype=np.int64))


def test_learners_that_ignore_the_masks_are_refused() -> None:
    model = BargainingModel(n_games=2, observation="state")
    with pytest.raises(ValueError, match="cannot choose among legal moves only") as refused:
        Population({"player": FixedAction(0)}).bind(model, np.random.SeedSequence(0))
    assert "\n" not in str(refused.value)
    with pytest.raises(ValueError, match="ties must be one of 'accept', 'reject'"):
        SPEPlayer(ties="maybe")


def test_q_learners_bind_only_where_they_can_respect_the_masks() -> None:
    model = BargainingModel(n_games=2, observation="state")
    population = Population({"player": QLearning()})
    if not isinstance(QLearning(), MaskedActing):
        with pytest.raises(ValueError, match="QLearning cannot choose among legal moves only"):
            population.bind(model, np.random.SeedSequence(0))
        return
    population.bind(model, np.random.SeedSequence(0))
    for _ in range(50):
        obs = model.observe()
        actions = population.act({"player": obs})["player"]
        model.set_actions("player", actions)
        model.step()  # an illegal move would raise
        population.learn({"player": obs}, {"player": actions}, {"player": model.outcome()})
    with pytest.raises(TypeError, match="discrete observations"):
        Population({"player": QLearning()}).bind(BargainingModel(), np.random.SeedSequence(0))


# ------------------------------------------------------------------------------ the model
def test_a_hand_traced_two_round_game() -> None:
    model = BargainingModel(n_games=1, pie=10, delta=(0.9, 0.8), horizon=2)
    steps = [(7, 0), (0, 12), (0, 4), (11, 0)]  # keep 7; reject; player 1 keeps 4; accept
    movers = [[True, False], [False, True], [False, True], [True, False]]
    for k, (actions, moved) in enumerate(zip(steps, movers, strict=True)):
        legal = model.legal_actions()
        assert legal.any(axis=1).tolist() == moved
        model.set_actions("player", np.array(actions))
        model.step()
        out = model.outcome()
        assert model.moved().tolist() == moved
        if k < 3:
            assert not out.terminated.any() and (out.reward == 0).all()
    assert out.terminated.tolist() == [True, True]
    np.testing.assert_allclose(out.reward, [0.9 * 0.6, 0.8 * 0.4])
    assert out.next_obs[0].tolist() == [1, 1, 4, -1, 1]  # where it ended ...
    assert out.obs[0].tolist() == [0, 0, -1, 0, 0]  # ... and the new game it restarts
    metrics = model.metrics()
    assert metrics["agreement_share"] == 1.0 and metrics["first_offer_mean"] == 7.0
    assert metrics["end_round_mean"] == 1.0 and metrics["games_finished"] == 1.0
    assert "round 0: player 0 to propose" in model.render_text()


def test_state_observations_are_the_positions_indices() -> None:
    model = BargainingModel(n_games=2, pie=3, horizon=2, observation="state")
    assert model.roles["player"].observation_space == gym.spaces.Discrete(2 * 5 + 1)
    model.set_actions("player", np.array([1, 0, 3, 0]))
    model.step()
    assert model.observe().tolist() == [2, 2, 4, 4]  # answering "keep 1", "keep 3"


def _play(model: BargainingModel, population: Population, steps: int) -> None:
    for _ in range(steps):
        obs = model.observe()
        actions = population.act({"player": obs})["player"]
        model.set_actions("player", actions)
        model.step()
        population.learn({"player": obs}, {"player": actions}, {"player": model.outcome()})


@pytest.mark.parametrize(("delta", "T"), [(0.5, 1), (0.5, 4), (0.9, 4), ((0.9, 0.6), 5)])
def test_subgame_perfect_players_agree_at_once_on_the_spe_split(delta: float, T: int) -> None:
    model = BargainingModel(n_games=5, pie=10, delta=delta, horizon=T)
    population = Population({"player": SPEPlayer()})
    population.bind(model, np.random.SeedSequence(0))
    path = spe_path(model.rules)
    for _ in range(3):  # three games in a row: each agrees in round 0
        _play(model, population, 2)
        out = model.outcome()
        assert out.terminated.all()
        np.testing.assert_allclose(out.reward.reshape(5, 2), np.tile(path.payoffs, (5, 1)))
    table = model.final_tables(population)["agreements"]
    assert (table["first_offer"] == spe_offer(model.rules)).all()
    assert table["agreed_round0"].all() and (table["offer_gap"] == 0).all()
    if T == 1:
        assert (table["accept_up_to"] == 10).all()  # accepts every offer, even "keep all"


def test_a_subgame_perfect_responder_against_random_proposers() -> None:
    model = BargainingModel(n_games=40, pie=4, horizon=1)
    population = Population(
        [
            Group(RandomPolicy(), agents={"seat": 0}),
            Group(SPEPlayer(ties="reject"), agents={"seat": 1}),
        ]
    )
    population.bind(model, np.random.SeedSequence(1))
    _play(model, population, 2)
    table = model.final_tables(population)["agreements"]
    # The strict responder rejects only "keep all" (it would get nothing either way).
    assert (table["accept_up_to"] == 3).all() and (table["offers_accepted"] == 4).all()
    assert (table["agreed"] == (table["first_offer"] < 4)).all()
    assert model.observe().shape == (80, 5), "the replay left the games as they were"


def test_acceptance_threshold_by_hand() -> None:
    accepts = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 1, 1, 1]], dtype=bool)
    assert acceptance_threshold(accepts).tolist() == [1, -1, 3]


# ------------------------------------------------------------------------------ the summary
def test_offers_summary_over_games_by_hand() -> None:
    agreements = pd.DataFrame(
        {
            "run_id": ["a"] * 3 + ["b"] * 3,
            "game": [0, 1, 2] * 2,
            "first_offer": [10, 9, 8, 10, 10, 7],
            "agreed": [True] * 5 + [False],
            "agreed_round0": [True] * 5 + [False],
            "offer_gap": [0, -1, -2, 0, 0, -3],
            "accept_up_to": [10, 10, 9, 10, 8, 10],
            "spe_offer": 10,
        }
    )
    out = offers_summary(agreements, [])
    row = out.iloc[0]
    assert row["games"] == 6 and row["spe_offer"] == 10
    assert row["first_offer_mean"] == pytest.approx(9.0)
    assert row["first_offer_se"] == pytest.approx(
        np.std([10, 9, 8, 10, 10, 7], ddof=1) / np.sqrt(6)
    )
    assert row["within_one_share"] == pytest.approx(4 / 6)
    assert row["abs_gap_mean"] == pytest.approx(1.0)
    assert row["agreement_share"] == pytest.approx(5 / 6)
    assert row["first_offer_ci95_low"] < 9.0 < row["first_offer_ci95_high"]


def test_a_bargaining_study_runs_and_summarises(tmp_path: Path) -> None:
    from socialrl_models.bargaining import study_summary

    from socialrl.study import load_results, run_study
    from tests.study_helpers import write_toml

    study = write_toml(
        tmp_path / "ultimatum.toml",
        {
            "name": "ultimatum",
            "seed": 3,
            "replications": 2,
            "model": {"name": "bargaining", "params": {"n_games": 4, "pie": 6}},
            "population": [
                {"role": "player", "learner": "random", "agents": {"seat": 0},
                 "name": "proposer"},
                {"role": "player", "learner": "bargaining_spe", "agents": {"seat": 1},
                 "name": "responder"},
            ],
            "sweep": {"grid": {"model.horizon": [1, 2]}},
            "run": {"steps": 20, "record_every": 10},
        },
    )  # fmt: skip
    run_study(study, out=tmp_path / "out", backend="sequential")
    offers = study_summary(load_results(tmp_path / "out" / "ultimatum"))["offers"]
    assert offers["games"].tolist() == [8, 8]  # the unit: games, over both runs
    assert offers["spe_offer"].tolist() == [6, 0]  # keep all; 6 − ⌈0.9 · 6⌉
    # The subgame-perfect responder accepts every claim in the ultimatum game, and in two
    # rounds only "keep 0" (its 0.9 from proposing next round beats any 5/6 or less).
    assert offers["accept_up_to_mean"].tolist() == [6, 0]
    assert offers["agreement_share"].iloc[0] == 1.0
