"""The maze model: layouts, theory, dynamics, and the model contract."""

from __future__ import annotations

import numpy as np
import pytest
from socialrl_models.maze import (
    BUILTIN_LAYOUTS,
    Layout,
    LayoutError,
    MazeModel,
    get_layout,
    greedy_path_lengths,
    random_maze,
    shortest_path_lengths,
    value_iteration,
)

from tests.contracts import ModelContract

pytestmark = pytest.mark.core

UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3


class TestMazeContract(ModelContract):
    model = MazeModel
    params = {"layout": "dyna", "n_walkers": 4, "max_episode_steps": 25}


class TestBlockingMazeContract(ModelContract):
    model = MazeModel
    params = {"layout": "open_room", "n_walkers": 6, "blocking": True, "max_episode_steps": 20}


class TestSlipperyMazeContract(ModelContract):
    model = MazeModel
    params = {"layout": "frozen", "n_walkers": 3, "slip": 0.3, "max_episode_steps": 15}


# ---------------------------------------------------------------------- layouts
def test_dyna_maze_is_sutton_and_barto_example_8_1() -> None:
    layout = get_layout("dyna")
    assert layout.shape == (6, 9)
    assert layout.start == (2, 0)
    assert list(zip(*np.nonzero(layout.goals), strict=True)) == [(0, 8)]
    walls = {(int(r), int(c)) for r, c in zip(*np.nonzero(layout.walls), strict=True)}
    assert walls == {(1, 2), (2, 2), (3, 2), (4, 5), (0, 7), (1, 7), (2, 7)}


def test_text_round_trip() -> None:
    for name in BUILTIN_LAYOUTS:
        layout = get_layout(name)
        again = Layout.from_text(layout.to_text(), name=name)
        np.testing.assert_array_equal(layout.walls, again.walls)
        np.testing.assert_array_equal(layout.goals, again.goals)
        assert layout.start == again.start


def test_unknown_character_names_line_and_column() -> None:
    with pytest.raises(LayoutError, match=r"unknown character 'x' at line 2, column 3"):
        Layout.from_text("S..\n..x\n..G")


def test_start_and_goal_are_required() -> None:
    with pytest.raises(LayoutError, match="exactly one start"):
        Layout.from_text("...\n..G")
    with pytest.raises(LayoutError, match=r"found 2 \(line 1 column 1, line 2 column 1\)"):
        Layout.from_text("S..\nS.G")
    with pytest.raises(LayoutError, match="no goal"):
        Layout.from_text("S..\n...")


def test_unreachable_goal_is_refused_with_position() -> None:
    with pytest.raises(LayoutError, match=r"no path from the start \(line 1, column 1\)"):
        MazeModel("S.#\n..#\n##G", rng=0)


def test_unknown_layout_name_lists_allowed() -> None:
    with pytest.raises(LayoutError, match="allowed: cliff, dyna"):
        get_layout("labyrinth")


def test_one_line_drawing_is_a_layout() -> None:
    assert MazeModel("S..G", rng=0).optimal_path_length == 3


@pytest.mark.parametrize("size", [(1, 2), (4, 4), (7, 11)])
def test_random_maze_is_perfect_and_seeded(size: tuple[int, int]) -> None:
    rows, cols = size
    a = random_maze(rows, cols, np.random.default_rng(5))
    b = random_maze(rows, cols, np.random.default_rng(5))
    np.testing.assert_array_equal(a.walls, b.walls)
    # A perfect maze is a spanning tree of the rooms: rooms − 1 open passages, all connected.
    open_cells = int((~a.walls).sum())
    rooms = rows * cols
    assert open_cells - rooms == rooms - 1
    model = MazeModel(a, rng=0)
    dist = shortest_path_lengths(model.mdp)
    assert model.mdp.n_states == open_cells
    assert (dist >= 0).all()


def test_random_layout_by_name_depends_on_model_seed() -> None:
    a = MazeModel("random:6x6", rng=1).layout.walls
    b = MazeModel("random:6x6", rng=1).layout.walls
    c = MazeModel("random:6x6", rng=2).layout.walls
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


# ---------------------------------------------------------------------- theory
def test_dyna_shortest_path_is_14() -> None:
    assert MazeModel("dyna", rng=0).optimal_path_length == 14


@pytest.mark.parametrize("name", [*sorted(BUILTIN_LAYOUTS), "random:8x8"])
@pytest.mark.parametrize("rewards", [(-1.0, 0.0), (0.0, 1.0)], ids=["minus1_per_step", "goal_only"])
def test_value_iteration_agrees_with_bfs_everywhere(
    name: str, rewards: tuple[float, float]
) -> None:
    step_reward, goal_reward = rewards
    model = MazeModel(name, step_reward=step_reward, goal_reward=goal_reward, rng=3)
    mdp = model.mdp
    dist = shortest_path_lengths(mdp)
    _, policy = value_iteration(mdp, gamma=0.95)
    from_everywhere = np.flatnonzero(dist > 0)
    lengths = greedy_path_lengths(mdp, policy, starts=from_everywhere)
    np.testing.assert_array_equal(lengths, dist[from_everywhere])


def test_value_iteration_values_are_discounted_path_costs() -> None:
    mdp = MazeModel("dyna", rng=0).mdp  # −1 per step
    dist = shortest_path_lengths(mdp)
    values, _ = value_iteration(mdp, gamma=0.9)
    ok = dist > 0
    np.testing.assert_allclose(values[ok], -(1 - 0.9 ** dist[ok]) / (1 - 0.9), atol=1e-8)


def test_slippery_value_iteration_is_a_fixed_point() -> None:
    model = MazeModel("frozen", slip=0.4, rng=0)
    mdp = model.mdp
    values, _policy = value_iteration(mdp, gamma=0.9)
    p = mdp.transition_probabilities()
    np.testing.assert_allclose(p.sum(axis=2), 1.0)
    r = p @ (mdp.step_reward + mdp.entry_reward)
    q = r + 0.9 * p @ np.where(mdp.terminal, 0.0, values)
    live = ~mdp.terminal
    np.testing.assert_allclose(values[live], q.max(axis=1)[live], atol=1e-8)


# ---------------------------------------------------------------------- dynamics
def _step(model: MazeModel, *actions: int):  # type: ignore[no-untyped-def]
    model.set_actions("walker", np.array(actions, dtype=np.int64))
    model.step()
    return model.outcome("walker")


def test_walls_and_border_keep_the_walker_in_place() -> None:
    model = MazeModel("dyna", rng=0)  # start (2, 0); wall at (2, 2)
    out = _step(model, LEFT)  # off the grid
    assert model.walkers[0].position == (2, 0)
    assert out.reward[0] == -1.0
    _step(model, RIGHT)
    _step(model, RIGHT)  # into the wall at (2, 2)
    assert model.walkers[0].position == (2, 1)
    assert model.walkers[0].cell.coordinate == (2, 1)


def test_goal_terminates_rewards_and_restarts() -> None:
    model = MazeModel("S.G", step_reward=0.0, goal_reward=1.0, rng=0)
    _step(model, RIGHT)
    out = _step(model, RIGHT)
    assert out.terminated[0] and not out.truncated[0]
    assert out.reward[0] == 1.0
    assert out.next_obs[0] == 2 and out.obs[0] == 0
    assert model.walkers[0].episodes_completed == 1


def test_time_limit_truncates() -> None:
    model = MazeModel("S...G", max_episode_steps=3, rng=0)
    for expected in (False, False, True):
        out = _step(model, LEFT)
        assert out.truncated[0] == expected and not out.terminated[0]
    assert model.episode_steps[0] == 0


def test_trap_terminates_with_trap_reward() -> None:
    model = MazeModel("ST\n.G", trap_reward=-100.0, rng=0)
    out = _step(model, RIGHT)
    assert out.terminated[0] and out.reward[0] == -101.0


def test_blocking_never_puts_two_walkers_on_one_cell() -> None:
    model = MazeModel("open_room", n_walkers=12, blocking=True, rng=0)
    rng = np.random.default_rng(0)
    exempt = model.mdp.terminal.copy()
    exempt[model.mdp.start] = True
    for _ in range(300):
        _step(model, *rng.integers(4, size=12))
        counts = np.bincount(model.positions, minlength=model.mdp.n_states)
        assert (counts[~exempt] <= 1).all()


def test_blocking_contested_cell_has_one_winner() -> None:
    # Two walkers at the start both move right into the same free cell.
    model = MazeModel("S..G", n_walkers=2, blocking=True, rng=0)
    _step(model, RIGHT, RIGHT)
    assert sorted(model.positions.tolist()) == [0, 1]


def test_slip_moves_randomly_on_ice() -> None:
    model = MazeModel("S~~\n~~~\n~~G", n_walkers=2000, slip=1.0, rng=0)
    _step(model, *([RIGHT] * 2000))  # from S (not ice): everyone lands on cell 1
    assert (model.positions == 1).all()
    _step(model, *([DOWN] * 2000))  # from ice, slip=1: a uniformly random move instead
    landed = np.bincount(model.positions, minlength=9)
    # up → stays (border), down → 4, left → 0, right → 2: each about a quarter of the time
    assert set(np.flatnonzero(landed)) == {0, 1, 2, 4}
    assert landed[[0, 1, 2, 4]].min() > 400


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [
        ("n_walkers", 0, "n_walkers must be a positive integer"),
        ("max_episode_steps", -5, "max_episode_steps must be a positive integer"),
        ("slip", 1.5, r"slip must lie in \[0, 1\]"),
    ],
)
def test_bad_parameters_are_named(param: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MazeModel("dyna", **{param: value}, rng=0)  # type: ignore[arg-type]


def test_policy_report_and_render() -> None:
    model = MazeModel("S.G", n_walkers=2, rng=0)
    report = model.policy_report("walker", lambda s: np.full(s.shape, RIGHT))
    np.testing.assert_array_equal(report["greedy_path_length"], [2.0, 2.0])
    assert report["greedy_optimal"].all()
    looping = model.policy_report("walker", lambda s: np.full(s.shape, LEFT))
    assert np.isnan(looping["greedy_path_length"]).all()
    assert model.render_text() == "*.G"


def test_states_are_open_cells_row_by_row() -> None:
    mdp = MazeModel("dyna", rng=0).mdp
    assert mdp.n_states == 54 - 7
    assert tuple(mdp.cells[0]) == (0, 0) and tuple(mdp.cells[7]) == (0, 8)  # (0, 7) is a wall
    assert mdp.state_of[0, 7] == -1
    np.testing.assert_array_equal(mdp.state_of[mdp.cells[:, 0], mdp.cells[:, 1]], np.arange(47))
    assert tuple(mdp.cells[mdp.start]) == (2, 0)


class TestGridObservationMazeContract(ModelContract):
    model = MazeModel
    params = {"layout": "dyna", "n_walkers": 3, "observation": "grid", "max_episode_steps": 25}


def test_grid_observation_channels() -> None:
    model = MazeModel("dyna", n_walkers=2, observation="grid", rng=0)
    obs = model.observe("walker")
    assert obs.shape == (2, 3, 6, 9) and obs.dtype == np.float32
    np.testing.assert_array_equal(obs[0, 0], model.layout.walls)
    np.testing.assert_array_equal(obs[0, 1], model.layout.goals)
    assert obs[0, 2].sum() == 1 and obs[0, 2, 2, 0] == 1  # the start (2, 0)
    _step(model, RIGHT, DOWN)
    out = model.outcome("walker")
    assert out.obs[0, 2, 2, 1] == 1 and out.obs[1, 2, 3, 0] == 1
