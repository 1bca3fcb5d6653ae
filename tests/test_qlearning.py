"""Tabular Q-learning and the fixed policies: known answers, options, contract."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

from socialrl.learners import (
    Constant,
    Exponential,
    FixedAction,
    Linear,
    QLearning,
    RandomPolicy,
    as_schedule,
)
from socialrl.learners.q_learning import bellman_targets
from tests.contracts import LearnerContract

pytestmark = pytest.mark.core


class TestQLearningContract(LearnerContract):
    def make(self) -> QLearning:
        return QLearning(alpha=0.3, gamma=0.9, epsilon=0.2)


class TestSharedQLearningContract(LearnerContract):
    def make(self) -> QLearning:
        return QLearning(alpha=0.3, gamma=0.9, epsilon={"kind": "linear", "steps": 20}, shared=True)


class TestRandomPolicyContract(LearnerContract):
    def make(self) -> RandomPolicy:
        return RandomPolicy()


class TestFixedActionContract(LearnerContract):
    def make(self) -> FixedAction:
        return FixedAction(2)


def bound(
    learner: QLearning, n: int = 2, states: int = 3, actions: int = 2, seed: int = 0
) -> QLearning:
    learner.bind(
        n, gym.spaces.Discrete(states), gym.spaces.Discrete(actions), np.random.SeedSequence(seed)
    )
    return learner


def test_bellman_update_by_hand() -> None:
    q = bound(QLearning(alpha=0.5, gamma=0.9, epsilon=0.0))
    q.q[0] = [[1.0, 2.0], [3.0, 5.0], [0.0, 0.0]]
    q.q[1] = [[0.0, 4.0], [2.0, 1.0], [7.0, 0.0]]
    q.learn(
        obs=np.array([0, 1]),
        actions=np.array([1, 0]),
        reward=np.array([1.0, -1.0]),
        next_obs=np.array([1, 2]),
        terminated=np.array([False, True]),
    )
    # agent 0: target 1 + 0.9 * max(3, 5) = 5.5 ; Q ← 2 + 0.5 (5.5 − 2) = 3.75
    # agent 1: terminal, target −1 ; Q ← 2 + 0.5 (−1 − 2) = 0.5
    assert q.q[0, 0, 1] == pytest.approx(3.75)
    assert q.q[1, 1, 0] == pytest.approx(0.5)
    changed = np.ones_like(q.q, dtype=bool)
    changed[0, 0, 1] = changed[1, 1, 0] = False
    assert (q.q[changed] == np.array([1.0, 3.0, 5.0, 0.0, 0.0, 0.0, 4.0, 1.0, 7.0, 0.0])).all()
    assert q.diagnostics()["td_error"] == pytest.approx((3.5 + 3.0) / 2)


def test_bellman_targets_function() -> None:
    t = bellman_targets(np.array([1.0, 1.0]), np.array([10.0, 10.0]), np.array([False, True]), 0.5)
    np.testing.assert_array_equal(t, [6.0, 1.0])


def test_shared_table_updates_one_agent_after_another() -> None:
    q = bound(QLearning(alpha=0.5, gamma=0.0, epsilon=0.0, shared=True), n=3)
    assert q.q.shape == (1, 3, 2)
    q.learn(
        np.array([0, 0, 0]), np.array([1, 1, 1]), np.ones(3), np.zeros(3, int), np.ones(3, bool)
    )
    assert q.q[0, 0, 1] == pytest.approx(0.875)  # 0 → 0.5 → 0.75 → 0.875


def test_mask_restricts_learning() -> None:
    q = bound(QLearning(alpha=1.0, gamma=0.0, epsilon=0.0))
    q.learn(
        np.array([0, 0]),
        np.array([0, 0]),
        np.array([1.0, 1.0]),
        np.zeros(2, int),
        np.ones(2, bool),
        mask=np.array([True, False]),
    )
    assert q.q[0, 0, 0] == 1.0 and q.q[1, 0, 0] == 0.0


def test_random_tie_breaking_is_uniform() -> None:
    q = bound(QLearning(epsilon=0.0), n=30_000, actions=3)
    q.q[:, :, 2] = -1.0
    obs = np.zeros(30_000, dtype=np.int64)
    counts = np.bincount(q.act(obs), minlength=3)
    assert counts[2] == 0
    assert abs(counts[0] - counts[1]) < 800
    q.q[:, :, 1] = 0.5  # no ties: plain argmax
    assert (q.act(obs) == 1).all()
    assert (q.greedy(obs) == 1).all()


def test_epsilon_greedy_explores_at_rate_epsilon() -> None:
    q = bound(QLearning(epsilon=0.3), n=20_000, actions=4)
    q.q[:, :, 2] = 1.0
    share_greedy = (q.act(np.zeros(20_000, dtype=np.int64)) == 2).mean()
    assert share_greedy == pytest.approx(0.7 + 0.3 / 4, abs=0.015)
    assert q.t == 1


def test_init_options() -> None:
    assert (bound(QLearning(init=2.5)).q == 2.5).all()
    assert (bound(QLearning(init="zeros")).q == 0).all()
    table = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(bound(QLearning(init=table)).q[1], table)
    per_agent = np.random.default_rng(0).normal(size=(2, 3, 2))
    np.testing.assert_array_equal(bound(QLearning(init=per_agent)).q, per_agent)
    with pytest.raises(ValueError, match=r"init array must have shape \(3, 2\)"):
        bound(QLearning(init=np.zeros((4, 2))))


def test_greedy_table_and_values() -> None:
    q = bound(QLearning())
    q.q[0, 1] = [0.0, 2.0]
    assert q.greedy_table()[0, 1] == 1 and q.values()[0, 1] == 2.0


def test_save_and_load_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    q = bound(QLearning(epsilon=0.5))
    q.q[:] = np.random.default_rng(1).normal(size=q.q.shape)
    q.act(np.array([0, 1]))
    path = q.save(tmp_path / "q")
    assert path.suffix == ".npz"
    other = bound(QLearning(epsilon=0.5), seed=9)
    other.load(path)
    np.testing.assert_array_equal(other.q, q.q)
    assert other.t == 1
    wrong = bound(QLearning(), n=5)
    with pytest.raises(ValueError, match="checkpoint Q has shape"):
        wrong.load(path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 0.0}, r"alpha \(learning rate\) must lie in \(0, 1\]"),
        ({"alpha": 1.5}, r"alpha \(learning rate\) must lie in \(0, 1\]"),
        ({"gamma": -0.1}, r"gamma \(discount factor\) must lie in \[0, 1\]"),
        ({"epsilon": 1.2}, r"epsilon must lie in \[0, 1\]"),
        ({"epsilon": -0.1}, r"epsilon must lie in \[0, 1\]"),
        ({"epsilon": {"kind": "cosine"}}, "epsilon kind must be one of"),
        ({"epsilon": {"kind": "linear", "start": 2.0}}, r"epsilon start must lie in \[0, 1\]"),
        ({"init": "ones"}, "init must be a number, 'zeros', 'model' or an array"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        QLearning(**kwargs)


def test_needs_discrete_observations_and_binding() -> None:
    with pytest.raises(RuntimeError, match="bound"):
        QLearning().act(np.zeros(2, dtype=np.int64))
    with pytest.raises(TypeError, match="discrete observations"):
        QLearning().bind(
            2, gym.spaces.Box(0, 1, (2,)), gym.spaces.Discrete(2), np.random.SeedSequence(0)
        )


def test_schedules() -> None:
    assert Constant(0.2)(10**9) == 0.2
    lin = Linear(start=1.0, end=0.1, steps=10)
    assert lin(0) == 1.0 and lin(5) == pytest.approx(0.55) and lin(100) == pytest.approx(0.1)
    exp = Exponential(beta=4e-6)
    assert exp(0) == 1.0 and exp(250_000) == pytest.approx(math.exp(-1.0))
    assert Exponential(beta=1.0, floor=0.05)(100) == 0.05
    assert as_schedule({"kind": "exponential", "beta": 1e-3}) == Exponential(beta=1e-3)
    assert as_schedule(0.3) == Constant(0.3)
    with pytest.raises(ValueError, match="epsilon schedule 'linear'"):
        as_schedule({"kind": "linear", "slope": 3})


def test_fixed_action_must_exist() -> None:
    with pytest.raises(ValueError, match=r"action must lie in \[0, 3\)"):
        FixedAction(5).bind(
            2, gym.spaces.Discrete(2), gym.spaces.Discrete(3), np.random.SeedSequence(0)
        )


def test_stable_counts_updates_that_keep_the_greedy_action() -> None:
    q = bound(QLearning(alpha=0.5, gamma=0.0, epsilon=0.0), n=1, states=2, actions=2)
    q.q[0, 0] = [1.0, 0.0]  # greedy action 0 in state 0
    assert "stable_min" not in q.diagnostics()  # counting starts when asked
    q.stable_steps()

    def step(action: int, reward: float) -> int:
        q.learn(
            np.array([0]), np.array([action]), np.array([reward]), np.array([1]), np.array([True])
        )
        return int(q.stable[0])

    assert step(1, 0.0) == 1  # Q(0,1) stays 0: greedy unchanged
    assert step(1, 0.4) == 2  # Q(0,1) = 0.2 < 1
    assert step(1, 4.0) == 0  # Q(0,1) = 2.1 > 1: the greedy action flips
    assert step(0, 1.0) == 1
    assert q.diagnostics()["stable_min"] == 1.0


def test_kernel_view_holds_the_learners_own_state() -> None:
    """Compiled code that plays for a learner writes what the learner then knows."""
    q = bound(QLearning(alpha=0.5, epsilon=0.2, shared=True), n=3, states=4, actions=2)
    q.stable_steps()
    view = q.kernel_view()
    assert view.q is q.q_values() and view.stable is q.stable and view.tracking
    assert view.rows.tolist() == [0, 0, 0] and q.table_of(2) == 0 and view.shared
    assert (view.alpha, view.gamma, view.t) == (0.5, 0.95, 0)
    view.q[0, 1, 1] = 7.0
    assert q.greedy(np.array([1, 1, 0]))[:2].tolist() == [1, 1]


def test_serial_and_parallel_loops_are_one_body_with_one_result() -> None:
    """Each batch loop is written once and compiled twice; agents with a table each get the
    same Q tables, TD errors, stability counts and actions on one core or on all."""
    from socialrl.learners.q_learning_kernels import epsilon_greedy, q_update

    rng = np.random.default_rng(0)
    n, states, actions = 500, 6, 3
    start = np.round(rng.normal(size=(n, states, actions)), 1)  # rounded: many ties
    tables = np.arange(n)
    obs, nxt = rng.integers(states, size=n), rng.integers(states, size=n)
    acts, reward = rng.integers(actions, size=n), rng.normal(size=n)
    done, active = rng.random(n) < 0.2, rng.random(n) < 0.9
    u = np.linspace(0, 1, n, endpoint=False)

    def play(parallel: bool) -> list[np.ndarray]:
        q, td, stable = start.copy(), np.zeros(n), np.zeros(n, dtype=np.int64)
        update = q_update.pick(parallel)
        update(q, tables, obs, acts, reward, nxt, done, active, 0.5, 0.9, td, stable)
        chosen = np.empty(n, dtype=np.int64)
        epsilon_greedy.pick(parallel)(q, tables, obs, 0.3, u, chosen)
        return [q, td, stable, chosen]

    for serial, parallel in zip(play(False), play(True), strict=True):
        np.testing.assert_array_equal(serial, parallel)


def test_masked_q_learning_plays_only_legal_moves_and_the_best_of_them() -> None:
    learner = QLearning(epsilon=0.3)
    learner.bind(3, gym.spaces.Discrete(2), gym.spaces.Discrete(4), np.random.SeedSequence(0))
    learner.q[:, 0] = [5.0, 9.0, 1.0, 9.0]
    legal = np.array([[True, False, True, False], [True, True, True, True], [False] * 4])
    obs = np.zeros(3, dtype=np.int64)
    np.testing.assert_array_equal(learner.greedy_masked(obs, legal), [0, 1, 0])  # best legal
    seen = np.zeros((3, 4))
    for _ in range(2000):
        seen[np.arange(3), learner.act_masked(obs, legal)] += 1
    assert seen[0, [1, 3]].sum() == 0, "an illegal move was played"
    assert seen[0, 2] / 2000 == pytest.approx(0.15, abs=0.03)  # explores ε/2 onto move 2
    assert seen[1, 1] / 2000 == pytest.approx(0.35 + 0.075, abs=0.04)  # ties 1 and 3 split
    assert learner.t == 2000
