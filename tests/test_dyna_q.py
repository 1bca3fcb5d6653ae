"""Dyna-Q: known answers by hand, the book's pseudocode, the Dyna maze (S&B Example 8.1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from socialrl_models.maze import MazeModel

from socialrl import QLearning, simulate
from socialrl.capabilities import LearnedModel, StabilityTracking, TabularValues
from socialrl.learners.base import load_state, save_state
from socialrl.learners.dyna_q import DynaQ, DynaQConfig
from socialrl.learners.dyna_q_kernels import _greedy_changed
from socialrl.registry import make_learner
from tests.contracts import LearnerContract

pytestmark = pytest.mark.core

DYNA_MAZE: dict[str, Any] = {
    "layout": "dyna",
    "n_walkers": 10,
    "step_reward": 0.0,
    "goal_reward": 1.0,
}


class TestDynaQContract(LearnerContract):
    def make(self) -> DynaQ:
        return DynaQ(alpha=0.3, gamma=0.9, epsilon=0.2, planning_steps=3)


class TestSharedDynaQContract(LearnerContract):
    def make(self) -> DynaQ:
        return DynaQ(
            alpha=0.3,
            gamma=0.9,
            epsilon={"kind": "linear", "steps": 20},
            planning_steps=2,
            shared=True,
        )


class TestNoPlanningDynaQContract(LearnerContract):
    def make(self) -> DynaQ:
        return DynaQ(alpha=0.3, gamma=0.9, epsilon=0.2, planning_steps=0)


def bound(learner: DynaQ, n: int = 1, states: int = 3, actions: int = 2, seed: int = 0) -> DynaQ:
    learner.bind(
        n, gym.spaces.Discrete(states), gym.spaces.Discrete(actions), np.random.SeedSequence(seed)
    )
    return learner


def step(learner: DynaQ, s: int, a: int, r: float, s_next: int, terminal: bool) -> None:
    """One real transition for every agent of the group (all the same)."""
    n = learner.n_agents
    learner.learn(
        np.full(n, s),
        np.full(n, a),
        np.full(n, r, dtype=float),
        np.full(n, s_next),
        np.full(n, terminal),
    )


# ---------------------------------------------------------------------- known answers by hand
@pytest.mark.parametrize("k", [0, 1, 3])
def test_one_observed_pair_repeats_the_bellman_update(k: int) -> None:
    """One transition, one observed pair: planning repeats the direct update k more times.

    Q(0,1) = 0, r = 1, s' = 1 with max Q(1, ·) = 3, α = 0.5, γ = 0.9: the target is
    1 + 0.9 · 3 = 3.7 every time, and each update halves the gap, so after 1 + k updates
    Q(0,1) = 3.7 (1 − 0.5^(k+1)): 1.85 (k = 0), 2.775 (k = 1), 3.46875 (k = 3).
    """
    dyna = bound(DynaQ(alpha=0.5, gamma=0.9, epsilon=0.0, planning_steps=k))
    dyna.q[0, 1] = [1.0, 3.0]
    step(dyna, 0, 1, 1.0, 1, False)
    assert dyna.q[0, 0, 1] == pytest.approx(3.7 * (1 - 0.5 ** (k + 1)))
    assert dyna.q[0, 0, 0] == 0.0 and (dyna.q[0, 1] == [1.0, 3.0]).all()
    assert (dyna.q[0, 2] == 0.0).all()
    assert dyna.diagnostics()["td_error"] == pytest.approx(3.7)  # the direct update's
    assert dyna.diagnostics()["planning_updates"] == float(k)


def test_planning_a_terminal_transition_does_not_bootstrap() -> None:
    dyna = bound(DynaQ(alpha=0.5, gamma=0.9, epsilon=0.0, planning_steps=2))
    dyna.q[0, 2] = [10.0, 10.0]  # would be bootstrapped from if the model forgot `terminated`
    step(dyna, 1, 0, 1.0, 2, True)
    assert dyna.q[0, 1, 0] == pytest.approx(1.0 - 0.5**3)  # 0.5, 0.75, 0.875


def test_planning_propagates_the_goal_back_along_a_chain() -> None:
    """0 → 1 → 2 (goal, reward 1). With α = 1, after the two real steps planning reaches the
    fixed point of the learned model: Q(1, 0) = 1 and Q(0, 0) = γ = 0.9 (Q-learning alone
    would leave Q(0, 0) = 0 until the next episode)."""
    dyna = bound(DynaQ(alpha=1.0, gamma=0.9, epsilon=0.0, planning_steps=50))
    plain = bound(DynaQ(alpha=1.0, gamma=0.9, epsilon=0.0, planning_steps=0))
    for learner in (dyna, plain):
        step(learner, 0, 0, 0.0, 1, False)
        step(learner, 1, 0, 1.0, 2, True)
    assert dyna.q[0, 0, 0] == pytest.approx(0.9) and dyna.q[0, 1, 0] == 1.0
    assert plain.q[0, 0, 0] == 0.0 and plain.q[0, 1, 0] == 1.0


def test_planning_that_flips_a_greedy_action_resets_stability() -> None:
    """Q(2, ·) = [0.5, 0]; the transition (2, 1) → terminal, r = 1, α = 0.1. After the direct
    update and n planning updates Q(2, 1) = 1 − 0.9^(n+1): 0.47 < 0.5 for n = 5 (greedy action
    kept), 0.69 > 0.5 for n = 10 (greedy action flips, so the agent is not stable)."""
    for n, expected in ((5, 1), (10, 0)):
        dyna = bound(DynaQ(alpha=0.1, gamma=0.9, epsilon=0.0, planning_steps=n))
        dyna.q[0, 2] = [0.5, 0.0]
        dyna.stable_steps()  # start counting
        step(dyna, 2, 1, 1.0, 0, True)
        assert dyna.q[0, 2, 1] == pytest.approx(1 - 0.9 ** (n + 1))
        assert dyna.stable_steps()[0] == expected


def test_planning_that_lowers_the_greedy_value_below_another_resets_stability() -> None:
    """Q(2, ·) = [0.3, 0.5]; (2, 1) → terminal with r = 0 shrinks Q(2, 1) to 0.5 · 0.9^(n+1):
    0.328 > 0.3 after n = 3 planning updates (kept), 0.295 < 0.3 after n = 4 (flipped)."""
    for n, expected in ((3, 1), (4, 0)):
        dyna = bound(DynaQ(alpha=0.1, gamma=0.9, epsilon=0.0, planning_steps=n))
        dyna.q[0, 2] = [0.3, 0.5]
        dyna.stable_steps()  # start counting
        step(dyna, 2, 1, 0.0, 0, True)
        assert dyna.q[0, 2, 1] == pytest.approx(0.5 * 0.9 ** (n + 1))
        assert dyna.stable_steps()[0] == expected


def test_greedy_change_check_agrees_with_argmax_before_and_after() -> None:
    """The one-pass check against the definition, ties included (values from a small set)."""
    rng = np.random.default_rng(0)
    for _ in range(3_000):
        n_actions = int(rng.integers(1, 6))
        q = rng.integers(0, 3, size=(1, 1, n_actions)).astype(float)
        a = int(rng.integers(n_actions))
        before = int(q[0, 0].argmax())  # numpy's argmax is the first maximum, like greedy()
        old = q[0, 0, a]
        q[0, 0, a] = float(rng.integers(0, 3))
        assert _greedy_changed(q, 0, 0, a, old) == (int(q[0, 0].argmax()) != before)


def test_shared_model_pools_the_group_and_plans_per_agent() -> None:
    """Three agents, one shared table and model: 3 direct updates then 3 × n planning updates
    of the one observed pair: Q = 1 − 0.5^(3 + 3n) with α = 0.5, terminal reward 1."""
    dyna = bound(DynaQ(alpha=0.5, gamma=0.9, epsilon=0.0, planning_steps=2, shared=True), n=3)
    step(dyna, 0, 1, 1.0, 2, True)
    assert dyna.q.shape == (1, 3, 2)
    assert dyna.q[0, 0, 1] == pytest.approx(1 - 0.5**9)
    assert dyna.model.visits[0, 0, 1] == 3 and dyna.model.n_observed.tolist() == [1]
    assert dyna.diagnostics()["planning_updates"] == 6.0
    pd.testing.assert_frame_equal(dyna.learned_model(0), dyna.learned_model(2))


# ---------------------------------------------------------------------- the book's pseudocode
def reference_dyna_q(
    q: np.ndarray,
    batches: Sequence[tuple[np.ndarray, ...]],
    uniforms: Sequence[np.ndarray],
    n: int,
    alpha: float,
    gamma: float,
    shared: bool,
) -> tuple[np.ndarray, list[dict[tuple[int, int], tuple[float, int, bool]]]]:
    """Sutton & Barto's "Tabular Dyna-Q" box, one agent at a time, with dicts for the model.

    Planning draws "a random previously observed state and action" from the list of pairs in
    the order first observed, with the learner's own uniforms.
    """
    q = q.copy()
    n_tables = q.shape[0]
    models: list[dict[tuple[int, int], tuple[float, int, bool]]] = [{} for _ in range(n_tables)]

    def update(k: int, s: int, a: int, r: float, s2: int, done: bool) -> None:
        target = r if done else r + gamma * q[k, s2].max()
        q[k, s, a] += alpha * (target - q[k, s, a])

    for (obs, act, rew, nxt, term, mask), u in zip(batches, uniforms, strict=True):
        agents = [i for i in range(obs.size) if mask[i]]
        table = [0 if shared else i for i in range(obs.size)]
        for i in agents:  # (d) direct RL
            update(table[i], obs[i], act[i], rew[i], nxt[i], term[i])
        for i in agents:  # (e) model learning
            models[table[i]][(int(obs[i]), int(act[i]))] = (rew[i], int(nxt[i]), bool(term[i]))
        for i in agents:  # (f) planning
            pairs = list(models[table[i]])
            for j in range(n):
                s, a = pairs[int(u[i * n + j] * len(pairs))]
                r, s2, done = models[table[i]][(s, a)]
                update(table[i], s, a, r, s2, done)
    return q, models


@pytest.mark.parametrize("shared", [False, True])
def test_matches_the_book_pseudocode(shared: bool) -> None:
    n_agents, n_states, n_actions, n, steps = 4, 5, 3, 4, 40
    dyna = bound(
        DynaQ(alpha=0.3, gamma=0.8, epsilon=0.0, planning_steps=n, shared=shared),
        n=n_agents,
        states=n_states,
        actions=n_actions,
    )
    rng = np.random.default_rng(1)
    dyna.q[:] = rng.normal(size=dyna.q.shape)
    q0 = dyna.q.copy()
    batches, uniforms = [], []
    for _ in range(steps):
        batch = (
            rng.integers(n_states, size=n_agents),
            rng.integers(n_actions, size=n_agents),
            rng.normal(size=n_agents),
            rng.integers(n_states, size=n_agents),
            rng.random(n_agents) < 0.2,
            rng.random(n_agents) < 0.8,
        )
        twin = np.random.default_rng()
        twin.bit_generator.state = dyna._rng.bit_generator.state  # the planning uniforms
        uniforms.append(twin.random(n_agents * n))
        batches.append(batch)
        dyna.learn(*batch[:5], mask=batch[5])
    q_ref, models = reference_dyna_q(q0, batches, uniforms, n, 0.3, 0.8, shared)
    np.testing.assert_allclose(dyna.q, q_ref, rtol=0, atol=1e-12)
    for agent in range(n_agents):
        k = dyna.table_of(agent)
        table = dyna.learned_model(agent)
        as_dict = {
            (row.state, row.action): (row.reward, row.next_state, row.terminated)
            for row in table.itertuples()
        }
        assert as_dict == models[k]
        assert [tuple(p) for p in dyna.observed_pairs(agent)] == list(models[k])


def test_parallel_kernel_gives_the_same_tables() -> None:
    """Large populations plan on all cores; per-agent tables make the result identical."""
    n_agents = 4096
    fast = bound(DynaQ(epsilon=0.3, planning_steps=3), n=n_agents, states=6, actions=3)
    slow = bound(DynaQ(epsilon=0.3, planning_steps=3), n=n_agents, states=6, actions=3)
    assert fast._parallel
    slow._parallel = False
    rng = np.random.default_rng(0)
    for _ in range(20):
        obs = rng.integers(6, size=n_agents)
        batch = (rng.normal(size=n_agents), rng.integers(6, size=n_agents))
        term = rng.random(n_agents) < 0.1
        for learner in (fast, slow):
            learner.learn(obs, learner.act(obs), batch[0], batch[1], term)
    for key, value in fast.state_dict().items():
        np.testing.assert_array_equal(value, slow.state_dict()[key], err_msg=key)


def test_mask_keeps_idle_agents_out_of_model_and_planning() -> None:
    dyna = bound(DynaQ(alpha=0.5, gamma=0.9, epsilon=0.0, planning_steps=2), n=2)
    dyna.learn(
        np.array([0, 0]),
        np.array([1, 1]),
        np.array([1.0, 1.0]),
        np.array([2, 2]),
        np.array([True, True]),
        mask=np.array([True, False]),
    )
    assert dyna.q[0, 0, 1] == pytest.approx(0.875) and (dyna.q[1] == 0).all()
    assert dyna.model.n_observed.tolist() == [1, 0] and dyna.model.visits[1].sum() == 0
    assert dyna.learned_model(1).empty
    assert dyna.diagnostics()["planning_updates"] == 2.0


def test_learned_model_table_and_arrays() -> None:
    dyna = bound(DynaQ(planning_steps=1), n=2, states=4, actions=2)
    step(dyna, 3, 1, -1.0, 2, False)
    step(dyna, 0, 0, 0.5, 1, False)
    step(dyna, 3, 1, 2.0, 0, True)  # the deterministic model keeps the last outcome
    table = dyna.learned_model(agent=1)
    assert list(table.columns) == [
        "state",
        "action",
        "next_state",
        "reward",
        "terminated",
        "visits",
    ]
    assert table.to_dict("list") == {
        "state": [0, 3],
        "action": [0, 1],
        "next_state": [1, 0],
        "reward": [0.5, 2.0],
        "terminated": [False, True],
        "visits": [1, 2],
    }
    assert dyna.observed_pairs(1).tolist() == [[3, 1], [0, 0]]  # in the order first seen
    assert dyna.model.slot[1, 2, 0] == -1  # never observed
    assert dyna.diagnostics()["observed_pairs"] == 2.0
    with pytest.raises(IndexError, match=r"agent must lie in \[0, 2\)"):
        dyna.learned_model(agent=2)


# ---------------------------------------------------------------------- the Dyna maze
def test_learned_model_is_the_true_maze_dynamics_on_visited_pairs() -> None:
    learner = DynaQ(alpha=0.1, gamma=0.95, epsilon=0.1, planning_steps=5)
    simulate("maze", DYNA_MAZE, {"walker": learner}, episodes=5, steps=50_000, seed=0)
    mdp = MazeModel("dyna", step_reward=0.0, goal_reward=1.0).mdp
    rewards = mdp.reward()
    for agent in range(DYNA_MAZE["n_walkers"]):
        table = learner.learned_model(agent)
        s, a = table["state"].to_numpy(), table["action"].to_numpy()
        assert len(table) > 20
        np.testing.assert_array_equal(table["next_state"], mdp.next_state[s, a])
        np.testing.assert_array_equal(table["reward"], rewards[s, a])
        np.testing.assert_array_equal(table["terminated"], mdp.terminal[mdp.next_state[s, a]])
        assert not mdp.terminal[s].any()  # walkers restart on entering the goal
    assert learner.model.visits.sum() == learner.t * DYNA_MAZE["n_walkers"]


def mean_lengths(planning_steps: int, seed: int, episodes: int = 10) -> pd.Series:
    """Mean episode length over the 10 walkers, per episode, on the Dyna maze."""
    learner = DynaQ(alpha=0.1, gamma=0.95, epsilon=0.1, planning_steps=planning_steps)
    res = simulate(
        "maze", DYNA_MAZE, {"walker": learner}, episodes=episodes, steps=100_000, seed=seed
    )
    lengths = res.episodes.pivot(index="episode", columns="agent", values="length")
    return lengths.iloc[:episodes].mean(axis=1)


def test_sutton_barto_figure_8_2_planning_learns_in_fewer_episodes() -> None:
    """Example 8.1: after the first episode (a random walk, the same for every n: no reward has
    been seen, so planning changes nothing), n = 50 walks a near-shortest path (14 moves plus
    ε-exploration) within a few episodes, n = 5 within about ten, n = 0 needs dozens.

    Mean episode length over episodes 2–10 and 10 walkers (seeds 0, 1, 2 gave n = 50: 18.6,
    19.3, 19.9; n = 5: 38.6, 43.7, 41.8; n = 0: 329, 289, 349).
    """
    curves = {n: mean_lengths(n, seed=0) for n in (0, 5, 50)}
    assert curves[0].iloc[0] == curves[5].iloc[0] == curves[50].iloc[0]
    later = {n: float(c.iloc[1:10].mean()) for n, c in curves.items()}
    assert later[50] < 25, later
    assert later[50] < 0.7 * later[5], later
    assert later[5] < 0.3 * later[0], later
    assert later[0] > 150, later
    assert (curves[50].iloc[3:10] < 25).all(), curves[50].tolist()


def test_zero_planning_steps_is_q_learning() -> None:
    runs = {}
    for name, learner in (
        ("dyna", DynaQ(alpha=0.1, gamma=0.95, epsilon=0.1, planning_steps=0)),
        ("q", QLearning(alpha=0.1, gamma=0.95, epsilon=0.1)),
    ):
        simulate("maze", DYNA_MAZE, {"walker": learner}, steps=3_000, seed=4)
        runs[name] = learner
    np.testing.assert_array_equal(runs["dyna"].q, runs["q"].q)
    np.testing.assert_array_equal(runs["dyna"].stable_steps(), runs["q"].stable_steps())


def test_same_seed_same_q_and_model() -> None:
    def run(seed: int) -> dict[str, np.ndarray]:
        learner = DynaQ(planning_steps=10)
        simulate("maze", DYNA_MAZE, {"walker": learner}, steps=2_000, seed=seed)
        return learner.state_dict()

    a, b, c = run(5), run(5), run(6)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert not np.array_equal(a["q"], c["q"])


def test_checkpoint_continues_exactly(tmp_path: Any) -> None:
    """Save mid-run, load into a fresh learner: both go on to identical tables and models."""
    first = bound(DynaQ(epsilon=0.3, planning_steps=4), n=3, states=6, actions=3, seed=1)

    def train(learner: DynaQ, seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(30):
            obs = rng.integers(6, size=3)
            learner.learn(
                obs,
                learner.act(obs),
                rng.normal(size=3),
                rng.integers(6, size=3),
                rng.random(3) < 0.2,
            )

    train(first, seed=2)
    path = save_state(tmp_path / "dyna", first.state_dict())
    second = bound(DynaQ(epsilon=0.3, planning_steps=4), n=3, states=6, actions=3, seed=99)
    second.load_state_dict(load_state(path))
    train(first, seed=3)
    train(second, seed=3)
    for key, value in first.state_dict().items():
        np.testing.assert_array_equal(value, second.state_dict()[key], err_msg=key)
    wrong = bound(DynaQ(planning_steps=4), n=2, states=6, actions=3)
    with pytest.raises(ValueError, match="checkpoint model_records has shape"):
        wrong.load_state_dict(load_state(path))


# ---------------------------------------------------------------------- options and refusals
@pytest.mark.parametrize("bad", [-1, 2.5, "3", True, None, float("nan"), float("inf")])
def test_bad_planning_steps_are_named(bad: Any) -> None:
    with pytest.raises(ValueError, match="planning_steps must be an integer ≥ 0"):
        DynaQ(planning_steps=bad)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 0.0}, r"alpha \(learning rate\) must lie in \(0, 1\]"),
        ({"gamma": 1.5}, r"gamma \(discount factor\) must lie in \[0, 1\]"),
        ({"epsilon": 1.2}, r"epsilon must lie in \[0, 1\]"),
        ({"epsilon": {"kind": "cosine"}}, "epsilon kind must be one of"),
        ({"init": "ones"}, "init must be a number, 'zeros', 'model' or an array"),
    ],
)
def test_bad_q_learning_hyperparameters_are_named(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DynaQ(**kwargs)


def test_options_inspection_and_binding() -> None:
    n_from_numpy: Any = np.int64(3)  # e.g. read from a sweep grid
    dyna = DynaQ(planning_steps=n_from_numpy, init=1.0, epsilon={"kind": "exponential", "beta": 1})
    assert dyna.config.planning_steps == 3
    assert DynaQ(planning_steps=4.0).config.planning_steps == 4  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="bound"):
        dyna.act(np.zeros(2, dtype=np.int64))
    with pytest.raises(RuntimeError, match="bound"):
        dyna.learn(*(np.zeros(2, dtype=np.int64),) * 5)
    with pytest.raises(TypeError, match="discrete observations"):
        dyna.bind(2, gym.spaces.Box(0, 1, (2,)), gym.spaces.Discrete(2), np.random.SeedSequence(0))
    bound(dyna, n=2)
    assert (dyna.q == 1.0).all() and dyna.epsilon == 1.0
    dyna.q[1, 2] = [0.0, 3.0]
    assert dyna.greedy_table()[1, 2] == 1 and dyna.values()[1, 2] == 3.0
    assert dyna.greedy(np.array([2, 2])).tolist() == [0, 1]
    assert "planning_steps=3" in repr(dyna)


def test_built_by_import_path_like_a_registered_learner() -> None:
    learner = make_learner("socialrl.learners.dyna_q:DynaQ", {"planning_steps": 7, "alpha": 0.2})
    assert isinstance(learner, DynaQ) and isinstance(learner.config, DynaQConfig)
    assert learner.config.planning_steps == 7 and learner.config.alpha == 0.2
    with pytest.raises(TypeError, match="takes no parameter 'n'"):
        make_learner("socialrl.learners.dyna_q:DynaQ", {"n": 7})


def test_declares_its_abilities() -> None:
    dyna = bound(DynaQ(shared=True), n=3)
    assert dyna.learns
    for ability in (TabularValues, StabilityTracking, LearnedModel):
        assert isinstance(dyna, ability), ability
    assert dyna.q_values() is dyna.q and dyna.table_of(2) == 0
