"""The coordination model: game theory, structures, dynamics, strategies and the contract."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import networkx as nx
import numpy as np
import pytest
from mesa.discrete_space import OrthogonalMooreGrid, OrthogonalVonNeumannGrid
from socialrl_models.coordination import (
    CoordinationModel,
    GameError,
    Grid,
    Network,
    TitForTat,
    TopologyError,
    WellMixed,
    WinStayLoseShift,
    get_game,
    mixed_nash,
    payoff_dominant,
    pure_nash,
    reference_payoff,
    risk_dominant,
    strict_pure_nash,
)
from socialrl_models.coordination.metrics import ConventionTracker, assortativity
from socialrl_models.coordination.observations import decode_memory, encode_shares
from socialrl_models.coordination.topology import make_graph

from socialrl.envs import MultiAgentEnv
from tests.contracts import LearnerContract, ModelContract

pytestmark = pytest.mark.core


# ---------------------------------------------------------------------- the contract
class TestGridSharesContract(ModelContract):
    model = CoordinationModel
    params = {
        "structure": {"kind": "grid", "width": 4, "height": 3},
        "observation": "shares",
        "max_episode_steps": 25,
    }


class TestMooreMemoryContract(ModelContract):
    model = CoordinationModel
    params = {
        "game": "stag_hunt",
        "structure": Grid(3, 3, neighbourhood="moore", interaction="random_neighbour"),
        "observation": "memory1",
        "max_episode_steps": 20,
    }


class TestNetworkMixedRulesContract(ModelContract):
    """Half the players imitate the best: the role holds only the learning half."""

    model = CoordinationModel
    params = {
        "game": "prisoners_dilemma",
        "structure": Network(n_players=12),
        "rules": {"imitate_best": 0.5},
        "observation": "shares",
        "max_episode_steps": 15,
    }


class TestWellMixedAsymmetricContract(ModelContract):
    model = CoordinationModel
    params = {
        "game": "battle_of_the_sexes",
        "structure": WellMixed(n_players=6),
        "observation": "memory1",
        "max_episode_steps": 20,
    }


class TestTitForTatContract(LearnerContract):
    observation_space = gym.spaces.Discrete(10)  # memory-1 for 3 actions
    action_space = gym.spaces.Discrete(3)

    def make(self) -> TitForTat:
        return TitForTat(noise=0.1)


class TestWinStayLoseShiftContract(LearnerContract):
    observation_space = gym.spaces.Discrete(10)
    action_space = gym.spaces.Discrete(3)

    def make(self) -> WinStayLoseShift:
        return WinStayLoseShift(game="climbing", noise=0.1)


# ---------------------------------------------------------------------- game theory
#: name → (pure equilibria, payoff-dominant, risk-dominant, a fully mixed equilibrium (x, y))
ZOO_ANSWERS: dict[str, tuple[set[tuple[int, int]], Any, Any, Any]] = {
    "coordination": ({(0, 0), (1, 1)}, None, None, ([0.5, 0.5], [0.5, 0.5])),
    "stag_hunt": ({(0, 0), (1, 1)}, (0, 0), (1, 1), ([0.75, 0.25], [0.75, 0.25])),
    "battle_of_the_sexes": ({(0, 0), (1, 1)}, None, None, ([2 / 3, 1 / 3], [1 / 3, 2 / 3])),
    "hawk_dove": ({(0, 1), (1, 0)}, None, None, ([0.5, 0.5], [0.5, 0.5])),
    "chicken": ({(0, 1), (1, 0)}, None, None, ([0.5, 0.5], [0.5, 0.5])),
    "prisoners_dilemma": ({(1, 1)}, (1, 1), (1, 1), None),
    # S = P = 0: every equilibrium is weak, so none is strict, dominant or a convention.
    "spatial_pd": ({(0, 1), (1, 0), (1, 1)}, None, None, None),
    # Pairwise Harsanyi–Selten in the {a, b} subgame: 41² > 37², so (a, a) is also risk-dominant.
    "climbing": ({(0, 0), (1, 1)}, (0, 0), (0, 0), ([5 / 16, 0, 11 / 16], [5 / 16, 0, 11 / 16])),
}


@pytest.mark.parametrize("name", sorted(ZOO_ANSWERS))
def test_zoo_equilibria_and_dominance(name: str) -> None:
    pure, payoff_dom, risk_dom, mixed = ZOO_ANSWERS[name]
    game = get_game(name)
    assert set(pure_nash(game)) == pure
    assert payoff_dominant(game) == payoff_dom
    assert risk_dominant(game) == risk_dom
    found = mixed_nash(game)
    if name != "spatial_pd":  # support enumeration is exact for nondegenerate games
        pure_found = {(int(x.argmax()), int(y.argmax())) for x, y in found if x.max() == 1}
        assert pure_found == pure
    if mixed is not None:
        assert any(np.allclose(x, mixed[0]) and np.allclose(y, mixed[1]) for x, y in found), (
            f"{name}: {found}"
        )
    else:
        assert all(x.max() == 1 and y.max() == 1 for x, y in found)


def test_stag_hunt_numbers_of_the_references() -> None:
    game = get_game("stag_hunt")
    np.testing.assert_array_equal(game.row, [[4, 0], [3, 3]])
    assert game.actions == ("stag", "hare") and game.cooperative == 0
    assert reference_payoff(game) == 4.0


def test_risk_dominance_flips_with_the_payoffs() -> None:
    # hare − sucker = 2 < stag − hare = 3: the stag is now the safer convention too
    game = get_game("stag_hunt", stag=5, sucker=0, hare=2)
    assert risk_dominant(game) == (0, 0) == payoff_dominant(game)


def test_hawk_dove_mixed_equilibrium_is_v_over_c() -> None:
    x, y = next((x, y) for x, y in mixed_nash(get_game("hawk_dove", v=2, c=6)) if 0 < x[0] < 1)
    np.testing.assert_allclose([x[0], y[0]], [1 / 3, 1 / 3])


def test_prisoners_dilemma_is_the_references_game() -> None:
    game = get_game("prisoners_dilemma")
    np.testing.assert_array_equal(game.row, [[3, 0], [5, 1]])  # [[R, S], [T, P]]
    assert strict_pure_nash(game) == [(1, 1)]


def test_asymmetric_game_seen_from_each_side() -> None:
    game = get_game("battle_of_the_sexes")
    assert not game.symmetric
    own = game.own_payoffs()  # [side, own, other]
    np.testing.assert_array_equal(own[0], [[2, 0], [0, 1]])  # the row player prefers 0
    np.testing.assert_array_equal(own[1], [[1, 0], [0, 2]])  # the column player prefers 1


def test_custom_matrices() -> None:
    symmetric = get_game([[2, 0], [0, 1]])
    assert symmetric.symmetric and payoff_dominant(symmetric) == (0, 0)
    bimatrix = get_game(np.stack([[[2, 0], [0, 1]], [[1, 0], [0, 2]]], axis=-1))
    assert not bimatrix.symmetric and set(pure_nash(bimatrix)) == {(0, 0), (1, 1)}


@pytest.mark.parametrize(
    ("game", "params", "match"),
    [
        ([[1, 0, 0], [0, 1, 0]], {}, r"must be square: \[A, A\].*got shape \(2, 3\)"),
        (np.zeros((2, 2, 3)), {}, r"must be square.*got shape \(2, 2, 3\)"),
        ([[1]], {}, "at least 2 actions"),
        ([[1, 2], [3]], {}, "equal-length rows"),
        ([[1, np.inf], [0, 1]], {}, "finite"),
        ("chess", {}, r"unknown game 'chess'; allowed: battle_of_the_sexes, chicken"),
        ("stag_hunt", {"deer": 5}, r"takes no parameter 'deer'; allowed: stag, sucker, hare"),
        ("stag_hunt", {"hare": 5}, "needs stag > hare > sucker"),
        ("prisoners_dilemma", {"t": 2}, "needs T > R > P > S"),
        ([[1, 0], [0, 1]], {"b": 2}, "game_params apply to zoo names only"),
    ],
)
def test_bad_games_are_refused(game: Any, params: dict[str, Any], match: str) -> None:
    with pytest.raises(GameError, match=match):
        CoordinationModel(game=game, game_params=params, rng=0)


# ---------------------------------------------------------------------- structures
@pytest.mark.parametrize("grid_class", [OrthogonalVonNeumannGrid, OrthogonalMooreGrid])
def test_grid_neighbours_are_the_mesa_connections(grid_class: type) -> None:
    name = "moore" if grid_class is OrthogonalMooreGrid else "von_neumann"
    model = CoordinationModel(structure=Grid(5, 4, neighbourhood=name), rng=0)
    topology = model.topology
    assert isinstance(topology.space, grid_class)
    for player in model.players:  # walk every cell of the Mesa grid
        expected = [
            r * 5 + c for r, c in (cell.coordinate for cell in player.cell.connections.values())
        ]
        assert topology.neighbours(player.index).tolist() == expected
    assert topology.regular_degree == (8 if name == "moore" else 4)


def test_grid_sides_are_a_checkerboard() -> None:
    model = CoordinationModel(structure=Grid(4, 4), rng=0)
    side = model.topology.side
    for i in range(16):
        assert (side[model.topology.neighbours(i)] != side[i]).all()


@pytest.mark.parametrize("graph", ["small_world", "scale_free", "random", "regular", "ring"])
def test_generated_networks(graph: str) -> None:
    model = CoordinationModel(structure=Network(graph, n_players=60, degree=4), rng=3)
    topology = model.topology
    reference = model.topology.space.G
    for i, node in enumerate(topology.nodes):
        assert sorted(topology.nodes[j] for j in topology.neighbours(i)) == sorted(
            reference.neighbors(node)
        )
    assert (topology.degree > 0).all()  # 'random' links isolated players to a partner
    assert model.players[7].cell.coordinate == topology.nodes[7]


def test_networks_are_seeded_by_the_model() -> None:
    a = CoordinationModel(structure=Network(n_players=40), rng=1)
    b = CoordinationModel(structure=Network(n_players=40), rng=1)
    c = CoordinationModel(structure=Network(n_players=40), rng=2)
    np.testing.assert_array_equal(a.topology.indices, b.topology.indices)
    assert not np.array_equal(a.topology.indices, c.topology.indices)


def test_given_graph_and_edge_list() -> None:
    star = nx.star_graph(4)  # node 0 in the middle
    model = CoordinationModel(structure=Network(star), rng=0)
    assert model.n_players == 5 and model.topology.degree.tolist() == [4, 1, 1, 1, 1]
    edges = CoordinationModel(structure=Network([[0, 1], [1, 2], [2, 0]]), rng=0)
    assert edges.topology.regular_degree == 2


def test_pairs_graph() -> None:
    graph = make_graph("pairs", 6, 4, 0.0, 0)
    assert sorted(graph.edges) == [(0, 1), (2, 3), (4, 5)]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"structure": "lattice"}, "structure must be one of 'grid', 'network', 'well_mixed'"),
        ({"structure": {"width": 5}}, "structure needs a 'kind'"),
        (
            {"structure": {"kind": "grid", "neighbourhood": "hexagonal"}},
            "neighbourhood must be one of 'von_neumann', 'moore'",
        ),
        (
            {"structure": {"kind": "network", "neighbourhood": "moore"}},
            "structure 'network' has no parameter 'neighbourhood'; allowed: kind, graph, "
            "n_players, degree, rewire, interaction",
        ),
        (
            {"structure": {"kind": "well_mixed", "width": 5}},
            "'well_mixed' has no parameter 'width'",
        ),
        ({"structure": {"kind": "grid", "n_players": 50}}, "'grid' has no parameter 'n_players'"),
        ({"structure": {"kind": "grid", "width": 2}}, "width must be an integer ≥ 3"),
        ({"structure": {"kind": "well_mixed", "n_players": 7}}, "n_players must be even"),
        ({"structure": {"kind": "well_mixed", "n_players": 1}}, "n_players must be an integer ≥ 2"),
        ({"structure": {"kind": "network", "graph": "lattice"}}, "unknown graph 'lattice'"),
        ({"structure": {"kind": "network", "graph": "ring", "degree": 3}}, "needs an even degree"),
        (
            {"structure": {"kind": "network", "graph": "regular", "degree": 3, "n_players": 9}},
            "needs degree × n_players even",
        ),
        (
            {"structure": {"kind": "network", "graph": [[0, 1], [1, 2]], "n_players": 3}},
            "n_players applies to generated graphs; a given graph has its own",
        ),
        (
            {"structure": {"kind": "network", "graph": nx.DiGraph([(0, 1), (1, 0)])}},
            "undirected simple networkx.Graph",
        ),
        (
            {"structure": {"kind": "grid", "interaction": "matching"}},
            "interaction must be one of 'neighbours', 'random_neighbour' for structure 'grid'",
        ),
        (
            {"structure": {"kind": "well_mixed", "interaction": "neighbours"}},
            "must be one of 'matching'",
        ),
        ({"structure": 3}, "structure must be one of 'grid', 'network', 'well_mixed', a table"),
        ({"observation": "memory1"}, "observation 'memory1' needs one partner per step"),
        ({"observation": "history"}, "observation must be one of 'none', 'memory1', 'shares'"),
        ({"aggregate": "max"}, "aggregate must be one of 'mean', 'sum'"),
        (
            {"structure": Grid(interaction="random_neighbour"), "self_interaction": True},
            "self_interaction applies to interaction 'neighbours' only",
        ),
        ({"rules": "copycat"}, "unknown rule 'copycat' in rules; allowed: imitate_best"),
        ({"rules": {"imitate_best": 0.7, "best_response": 0.6}}, "add up to more than 1"),
        ({"mutation": 1.5}, r"mutation must lie in \[0, 1\]"),
        ({"initial": "stag"}, "initial must be 'uniform'"),
        ({"initial": [0.5, 0.2]}, "summing to 1"),
        ({"initial": 2}, r"initial action must lie in \[0, 2\)"),
        ({"share_levels": 0}, "share_levels must be a positive integer"),
        ({"convention_share": 0.0}, r"convention_share must lie in \(0, 1\]"),
        ({"max_episode_steps": 0}, "max_episode_steps must be a positive integer"),
    ],
)
def test_bad_parameters_are_named(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CoordinationModel(**params, rng=0)


def test_isolated_players_are_refused_under_neighbour_interaction() -> None:
    graph = nx.path_graph(4)
    graph.add_node(4)
    graph.add_node(9)
    with pytest.raises(TopologyError, match=r"2 isolated players \(indices 4, 5\)"):
        CoordinationModel(structure=Network(graph), rng=0)


# ---------------------------------------------------------------------- dynamics
def _play(model: CoordinationModel, actions: Any = None) -> Any:
    n = model.n_learners
    model.set_actions("player", np.zeros(n, dtype=np.int64) if actions is None else actions)
    model.step()
    return model.outcome("player")


def test_nowak_may_imitation_by_hand() -> None:
    """One defector among cooperators on a 5 × 5 Moore torus, b = 1.9, self-play, summed.

    Step 1: the defector earns 8b = 15.2 from its 8 cooperating neighbours (0 from itself);
    its 8 neighbours earn 8 (7 cooperating neighbours and themselves); the other 16, whose
    neighbourhoods hold no defector, earn 9. Imitating the best: the defector's neighbours see
    15.2 and defect; everyone else sees at most 9 — and only cooperators — so stays. Step 2: a
    3 × 3 block of defectors.
    """
    start = np.zeros(25, dtype=np.int64)
    start[12] = 1  # (2, 2)
    model = CoordinationModel(
        game="spatial_pd",
        game_params={"b": 1.9},
        structure=Grid(5, 5, neighbourhood="moore"),
        self_interaction=True,
        aggregate="sum",
        rules="imitate_best",
        initial=start,
        rng=0,
    )
    assert model.n_learners == 0
    _play(model)
    payoffs = model.payoffs.reshape(5, 5)
    expected = np.full((5, 5), 9.0)
    expected[1:4, 1:4] = 8.0
    expected[2, 2] = 8 * 1.9
    np.testing.assert_allclose(payoffs, expected)
    block = np.zeros((5, 5), dtype=np.int64)
    block[1:4, 1:4] = 1
    np.testing.assert_array_equal(model.next_actions.reshape(5, 5), block)
    _play(model)
    np.testing.assert_array_equal(model.actions.reshape(5, 5), block)
    # Step 2 by hand: the centre defector meets 8 defectors and itself: 0. A block corner,
    # e.g. (1, 1), meets 5 cooperators: 5b. An edge middle, e.g. (1, 2), meets 3: 3b.
    assert model.payoffs[12] == 0.0
    assert model.payoffs[6] == pytest.approx(5 * 1.9)
    assert model.payoffs[7] == pytest.approx(3 * 1.9)
    assert model.render_text().splitlines()[2] == "CDDDC"


def test_mean_payoff_over_neighbours() -> None:
    # Coordination on a 3 × 3 von Neumann torus: the centre plays 1, everyone else 0.
    model = CoordinationModel(structure=Grid(3, 3), rng=0)
    actions = np.zeros(9, dtype=np.int64)
    actions[4] = 1
    out = _play(model, actions)
    assert out.reward[4] == 0.0  # no neighbour matches
    assert out.reward[1] == 0.75 and out.reward[0] == 1.0  # 3 of 4 neighbours match; all 4
    metrics = model.metrics()
    assert metrics["coordination_rate"] == pytest.approx(28 / 36)  # 36 neighbour pairs
    assert metrics["share_left"] == pytest.approx(8 / 9)


def test_well_mixed_matching_pairs_everyone() -> None:
    model = CoordinationModel(structure=WellMixed(10), rng=4)
    _play(model)
    partners = model.partners
    assert partners is not None
    np.testing.assert_array_equal(partners[partners], np.arange(10))
    assert (partners != np.arange(10)).all()


def test_asymmetric_game_matches_rows_with_columns() -> None:
    model = CoordinationModel(game="battle_of_the_sexes", structure=WellMixed(8), rng=1)
    for _ in range(5):
        _play(model)
        side = model.topology.side
        assert (side[model.partners] != side).all()


def test_random_neighbour_partners_are_neighbours() -> None:
    model = CoordinationModel(structure=Grid(4, 4, interaction="random_neighbour"), rng=2)
    _play(model)
    for i, j in enumerate(model.partners):
        assert j in model.topology.neighbours(i)


def test_memory_observation_and_episode_restart() -> None:
    model = CoordinationModel(
        game="prisoners_dilemma",
        structure=Network("pairs", n_players=2),
        observation="memory1",
        max_episode_steps=2,
        rng=0,
    )
    assert model.observe("player").tolist() == [4, 4]  # the start state
    out = _play(model, np.array([0, 1]))  # C against D
    assert out.reward.tolist() == [0.0, 5.0]
    assert out.obs.tolist() == [0 * 2 + 1, 1 * 2 + 0]  # (own, partner)
    own, partner, start = decode_memory(out.obs, 2)
    assert own.tolist() == [0, 1] and partner.tolist() == [1, 0] and not start.any()
    out = _play(model, np.array([1, 1]))
    assert out.truncated.all() and not out.terminated.any()
    assert out.next_obs.tolist() == [3, 3] and out.obs.tolist() == [4, 4]


@pytest.mark.parametrize("structure", ["grid", "network", "well_mixed"])
def test_shares_observation_counts_the_neighbours(structure: str) -> None:
    table = {"kind": structure} if structure == "grid" else {"kind": structure, "n_players": 30}
    model = CoordinationModel(
        game="climbing", structure=table, observation="shares", share_levels=4, rng=5
    )
    actions = np.random.default_rng(0).integers(3, size=model.n_players)
    obs = _play(model, actions).obs
    if structure == "well_mixed":
        expected = [encode_shares(np.bincount(actions, minlength=3), 4)] * model.n_players
    else:
        expected = [
            encode_shares(np.bincount(actions[model.topology.neighbours(i)], minlength=3), 4)
            for i in range(model.n_players)
        ]
    np.testing.assert_array_equal(obs, expected)
    assert model.roles["player"].observation_space.n == 5**2 + 1


def test_best_response_by_hand_on_a_ring() -> None:
    # Stag hunt on a ring of 6, payoffs summed over the two neighbours: a stag hunter with one
    # hare neighbour expects 4 from stag and 6 from hare, so it switches to hare.
    start = np.array([1, 0, 0, 1, 1, 1])
    model = CoordinationModel(
        game="stag_hunt",
        structure=Network("ring", n_players=6, degree=2),
        aggregate="sum",
        rules="best_response",
        initial=start,
        rng=0,
    )
    _play(model)
    # player 1: neighbours 0 (hare), 2 (stag): stag 4, hare 6 → hare; player 2 likewise;
    # player 0: neighbours 5 (hare), 1 (stag) → hare; 3, 4, 5: hares around → hare.
    np.testing.assert_array_equal(model.next_actions, [1, 1, 1, 1, 1, 1])
    lone_hare = CoordinationModel(
        game="stag_hunt",
        structure=Network("ring", n_players=6, degree=2),
        rules="best_response",
        initial=np.array([0, 0, 1, 0, 0, 0]),
        rng=0,
    )
    _play(lone_hare)
    # the hare (2) sees two stags: stag 8 > hare 6 → stag; its neighbours (1, 3) see one hare
    # each: stag 4 < hare 6 → hare; the others keep hunting stag.
    np.testing.assert_array_equal(lone_hare.next_actions, [0, 1, 0, 1, 0, 0])


def test_noisy_best_response_selects_the_risk_dominant_convention() -> None:
    """Kandori–Mailath–Rob / Ellison: from the payoff-dominant start, noise tips to hare."""
    finals = []
    for seed in range(3):
        model = CoordinationModel(
            game="stag_hunt",
            structure=Grid(20, 20, neighbourhood="moore"),
            rules="best_response",
            mutation=0.05,
            initial=0,  # everyone starts on the payoff-dominant stag convention
            rng=seed,
        )
        hare = []
        for _ in range(300):
            _play(model)
            hare.append(model.action_shares()[1])
        finals.append(np.mean(hare[-100:]))
    assert min(finals) > 0.95  # mutation alone keeps ~2.5% of players on stag


def test_convention_tracker() -> None:
    tracker = ConventionTracker(threshold=0.9, window=3)
    shares = [5, 95, 95, 50, 96, 97, 98, 99, 10]  # percent of players on action 1
    for step, s in enumerate(shares, start=1):
        tracker.update(step, np.array([100 - s, s]))
    assert tracker.reached_at == 5 and tracker.convention == 1


def test_convention_in_the_metrics() -> None:
    model = CoordinationModel(structure=Grid(3, 3), convention_window=2, rng=0)
    _play(model, np.ones(9, dtype=np.int64))
    assert np.isnan(model.metrics()["convention_step"])
    _play(model, np.ones(9, dtype=np.int64))
    metrics = model.metrics()
    assert metrics["convention_step"] == 1.0 and metrics["convention_action"] == 1.0
    assert metrics["coordination_rate"] == 1.0 and metrics["payoff_relative"] == 1.0
    assert np.isnan(metrics["clustering"])  # one action everywhere: assortativity undefined


def test_clustering_of_actions() -> None:
    model = CoordinationModel(structure=Grid(4, 4), rng=0)
    rows, cols = np.divmod(np.arange(16), 4)
    _play(model, (rows + cols) % 2)  # checkerboard: every neighbour differs
    assert model.clustering() == pytest.approx(-1.0)
    _play(model, (rows >= 2).astype(np.int64))  # two bands: 3 of 4 neighbours agree
    assert model.clustering() == pytest.approx(0.5)
    assert np.isnan(assortativity(0, np.zeros(2, dtype=np.int64)))  # no pairs at all


def test_cooperation_rate_and_payoff_relative() -> None:
    model = CoordinationModel(game="prisoners_dilemma", structure=Grid(3, 3), rng=0)
    _play(model, np.zeros(9, dtype=np.int64))
    metrics = model.metrics()
    assert metrics["cooperation_rate"] == 1.0
    assert metrics["payoff_relative"] == 3.0  # R / P: mutual cooperation beats the equilibrium


def test_players_are_mesa_agents_with_views() -> None:
    model = CoordinationModel(structure=Grid(3, 3), rules={"imitate_best": 1 / 3}, rng=0)
    learners = model.role_agents("player")
    assert len(learners) == 6 and len(model.players) == 9 and len(model.agents) == 9
    assert [p.slot for p in learners] == list(range(6))
    rule_players = [p for p in model.players if p.slot < 0]
    assert {p.rule for p in rule_players} == {"imitate_best"}
    _play(model, np.arange(6) % 2)
    player = learners[3]
    assert player.action == 1 and player.payoff == model.payoffs[player.index]
    assert player.cell.coordinate == player.position == divmod(player.index, 3)
    frame = model.agent_frame("player")
    np.testing.assert_array_equal(frame["index"], [p.index for p in learners])


def test_population_selects_by_side() -> None:
    from socialrl.population import Group, Population

    model = CoordinationModel(
        game="prisoners_dilemma",
        structure=Network("pairs", n_players=4),
        observation="memory1",
        rng=0,
    )
    population = Population(
        [Group(TitForTat(), agents={"side": 0}), Group(TitForTat(first=1), agents={"side": 1})]
    )
    population.bind(model, np.random.SeedSequence(0))
    actions = population.act({"player": model.observe("player")})["player"]
    np.testing.assert_array_equal(actions, [0, 1, 0, 1])


def test_strategies_by_hand() -> None:
    tft, pavlov = TitForTat(), WinStayLoseShift()
    for strategy in (tft, pavlov):
        strategy.bind(5, gym.spaces.Discrete(5), gym.spaces.Discrete(2), np.random.SeedSequence(0))
    obs = np.array([0, 1, 2, 3, 4])  # CC, CD, DC, DD, start
    np.testing.assert_array_equal(tft.act(obs), [0, 1, 0, 1, 0])
    np.testing.assert_array_equal(pavlov.act(obs), [0, 1, 1, 0, 0])
    with pytest.raises(TypeError, match="memory-1 observations"):
        tft.bind(5, gym.spaces.Discrete(1), gym.spaces.Discrete(2), np.random.SeedSequence(0))


def test_autoreset_off_stops_the_game() -> None:
    model = CoordinationModel(structure=Grid(3, 3), max_episode_steps=2, autoreset=False, rng=0)
    _play(model)
    out = _play(model)
    assert out.truncated.all() and not model.active("player").any()
    before = model.actions
    out = _play(model, np.ones(9, dtype=np.int64))
    assert (out.reward == 0).all() and model.actions is before


def test_multi_agent_env_and_registry_name() -> None:
    env = MultiAgentEnv("coordination", {"game": "stag_hunt", "structure": Grid(3, 3)})
    obs = env.reset(seed=0)
    assert obs["player"].shape == (9,)
    out = env.step({"player": np.zeros(9, dtype=np.int64)})
    assert (out["player"].reward == 4.0).all()
    env.close()


def test_gymnasium_make_coordination() -> None:
    import socialrl  # noqa: F401  (registers the ids)

    tit_for_tat = TitForTat()  # the others' policy, bound to the role's whole batch
    tit_for_tat.bind(2, gym.spaces.Discrete(5), gym.spaces.Discrete(2), np.random.SeedSequence(0))
    env = gym.make(
        "socialrl/Coordination-v0",
        game="prisoners_dilemma",
        structure=Network("pairs", n_players=2),
        observation="memory1",
        others=tit_for_tat,
    )
    obs, _ = env.reset(seed=0)
    assert obs == 4
    obs, reward, *_ = env.step(1)  # defect against tit-for-tat's opening cooperation
    assert reward == 5.0 and obs == 2  # (D, C)
    obs, reward, *_ = env.step(1)  # tit-for-tat now defects
    assert reward == 1.0 and obs == 3
    env.close()


def test_registered_views_pass_their_api_tests() -> None:
    from gymnasium.utils.env_checker import check_env
    from pettingzoo.test import parallel_api_test
    from socialrl_models.coordination.env import parallel_env

    import socialrl  # noqa: F401  (registers the ids)

    env = gym.make("socialrl/Coordination-v0", structure=Grid(4, 4))
    check_env(env.unwrapped)
    assert env.observation_space == gym.spaces.Discrete(4 + 2)  # shares of 4 neighbours + start
    env.close()
    zoo = parallel_env(game="stag_hunt", structure=Grid(3, 3), max_episode_steps=10)
    assert len(zoo.possible_agents) == 9 and zoo.possible_agents[0] == "player_0"
    parallel_api_test(zoo, num_cycles=20)
