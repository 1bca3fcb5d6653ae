"""Who meets whom: a torus grid, a network, or a well-mixed population.

Each structure is a Mesa space (``OrthogonalVonNeumannGrid`` / ``OrthogonalMooreGrid`` on a
torus, ``mesa.discrete_space.Network`` over a networkx graph) or, well-mixed, no space at all.
The model never walks the Mesa space in its step: at construction the neighbourhoods are read
from the space once and stored as **CSR index arrays** (``indptr``, ``indices``: the neighbours
of player ``i`` are ``indices[indptr[i]:indptr[i + 1]]``), which the compiled kernels loop over.

Grids read their neighbourhood offsets from the Mesa grid's own connections and apply them to
every cell with array arithmetic (the torus wraps exactly as Mesa's ``_connect_single_cell``
does; a test compares with walking every cell). Networks walk the Mesa network's cells once.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from mesa.discrete_space import Network, OrthogonalMooreGrid, OrthogonalVonNeumannGrid

__all__ = [
    "GRAPHS",
    "NEIGHBOURHOODS",
    "STRUCTURES",
    "Topology",
    "TopologyError",
    "grid_topology",
    "make_graph",
    "network_topology",
    "well_mixed_topology",
]

STRUCTURES = ("grid", "network", "well_mixed")
NEIGHBOURHOODS = {"von_neumann": OrthogonalVonNeumannGrid, "moore": OrthogonalMooreGrid}
GRAPHS = ("small_world", "scale_free", "random", "regular", "ring", "complete", "pairs")


class TopologyError(ValueError):
    """An interaction structure that cannot be built (bad size, unknown graph, isolated players)."""


@dataclass(frozen=True, eq=False)
class Topology:
    """Neighbourhoods as CSR arrays, plus the Mesa space they were read from.

    Attributes:
        kind: ``"grid"``, ``"network"`` or ``"well_mixed"``.
        n_players: Number of players.
        indptr: ``int64[n + 1]``; neighbours of ``i`` are ``indices[indptr[i]:indptr[i + 1]]``
            (empty arrays for a well-mixed population, where everyone may meet everyone).
        indices: ``int64[edges]``, neighbour indices in the order of the Mesa connections.
        space: The Mesa space (None when well-mixed).
        shape: ``(height, width)`` of a grid; player ``i`` sits at ``divmod(i, width)``.
        nodes: The network node of each player (networks only).
        side: ``int64[n]``, each player's side in asymmetric games: a checkerboard on grids
            (every von Neumann neighbour is of the other side when the sides are even), else
            ``index mod 2`` (the two members of a ``pairs`` graph's pair differ).

    """

    kind: str
    n_players: int
    indptr: np.ndarray
    indices: np.ndarray
    space: Any = None
    shape: tuple[int, int] | None = None
    nodes: tuple[Any, ...] | None = None
    side: np.ndarray | None = None

    @property
    def degree(self) -> np.ndarray:
        """Number of neighbours of each player."""
        return np.diff(self.indptr)

    @property
    def regular_degree(self) -> int | None:
        """The common degree when every player has as many neighbours, else None."""
        degree = self.degree
        if degree.size == 0 or (degree != degree[0]).any():
            return None
        return int(degree[0])

    def neighbours(self, i: int) -> np.ndarray:
        """Neighbour indices of player ``i``."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]


# ---------------------------------------------------------------------------- grids
def grid_topology(width: int, height: int, neighbourhood: str, random: Any) -> Topology:
    """A ``height × width`` torus; player ``i`` sits on cell ``(i // width, i % width)``."""
    if neighbourhood not in NEIGHBOURHOODS:
        raise TopologyError(
            f"neighbourhood must be one of {', '.join(map(repr, NEIGHBOURHOODS))} on a grid, "
            f"got {neighbourhood!r}"
        )
    for name, value in (("width", width), ("height", height)):
        if int(value) != value or value < 3:
            raise TopologyError(
                f"{name} must be an integer ≥ 3 (smaller tori repeat neighbours), got {value!r}"
            )
    width, height = int(width), int(height)
    space = NEIGHBOURHOODS[neighbourhood]((height, width), torus=True, random=random)
    # Mesa connects every torus cell by the same offsets, in the same order: read them once.
    offsets = np.array(list(space[(1, 1)].connections), dtype=np.int64)  # [degree, 2]
    rows, cols = np.divmod(np.arange(height * width, dtype=np.int64), width)
    nbr_rows = (rows[:, None] + offsets[None, :, 0]) % height
    nbr_cols = (cols[:, None] + offsets[None, :, 1]) % width
    indices = (nbr_rows * width + nbr_cols).ravel()
    degree = offsets.shape[0]
    indptr = np.arange(0, height * width * degree + 1, degree, dtype=np.int64)
    side = (rows + cols) % 2
    return Topology("grid", height * width, indptr, indices, space, (height, width), side=side)


# ---------------------------------------------------------------------------- networks
def make_graph(name: str, n: int, degree: int, rewire: float, seed: int) -> nx.Graph:
    """A generated network of ``n`` players with mean degree about ``degree``.

    * ``small_world``: Watts & Strogatz (1998), a ring lattice of ``degree`` neighbours with
      each edge rewired with probability ``rewire``;
    * ``scale_free``: Barabási & Albert (1999), each newcomer attaches ``degree // 2`` edges;
    * ``random``: Erdős–Rényi G(n, m) with ``m = n·degree/2``; players left isolated are then
      linked to one uniformly drawn other player, so every player has a partner (documented
      departure from G(n, m): without it, mean degree 4 leaves ~2% of players alone);
    * ``regular``: a random ``degree``-regular graph;
    * ``ring``: the ring lattice (``small_world`` with no rewiring);
    * ``complete``: everyone is everyone's neighbour;
    * ``pairs``: fixed partners ``(0, 1), (2, 3), …`` (the iterated two-player game).
    """
    if name not in GRAPHS:
        raise TopologyError(f"unknown graph {name!r}; allowed: {', '.join(GRAPHS)}")
    if name == "pairs":
        if n % 2:
            raise TopologyError(f"graph 'pairs' needs an even n_players, got {n}")
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from((k, k + 1) for k in range(0, n, 2))
        return graph
    if name == "complete":
        return nx.complete_graph(n)
    if int(degree) != degree or not 1 <= degree < n:
        raise TopologyError(f"degree must be an integer in [1, n_players), got {degree!r}")
    if name in ("small_world", "ring", "regular") and degree * n % 2:
        raise TopologyError(f"graph {name!r} needs degree × n_players even, got {degree} × {n}")
    if name in ("small_world", "ring"):
        if degree % 2:
            raise TopologyError(f"graph {name!r} needs an even degree, got {degree}")
        if not 0.0 <= rewire <= 1.0:
            raise TopologyError(f"rewire must lie in [0, 1], got {rewire!r}")
        return nx.watts_strogatz_graph(n, degree, rewire if name == "small_world" else 0.0, seed)
    if name == "scale_free":
        if degree < 2:
            raise TopologyError(f"graph 'scale_free' needs degree ≥ 2, got {degree}")
        return nx.barabasi_albert_graph(n, degree // 2, seed)
    if name == "regular":
        return nx.random_regular_graph(degree, n, seed)
    graph = nx.gnm_random_graph(n, n * degree // 2, seed)
    rng = np.random.default_rng(seed)
    for node in [v for v, d in graph.degree() if d == 0]:
        other = int(rng.integers(n - 1))
        graph.add_edge(node, other + (other >= node))
    return graph


def as_graph(graph: Any) -> nx.Graph:
    """A given network: a networkx ``Graph`` or an edge list ``[[u, v], …]``."""
    if isinstance(graph, nx.Graph):
        if graph.is_directed() or graph.is_multigraph():
            raise TopologyError("graph must be an undirected simple networkx.Graph")
        return graph
    if isinstance(graph, Sequence) and not isinstance(graph, str):
        edges = [tuple(e) for e in graph]
        if not edges or any(len(e) != 2 for e in edges):
            raise TopologyError("an edge list must be a non-empty list of [u, v] pairs")
        return nx.Graph(edges)
    raise TopologyError(
        f"graph must be one of {', '.join(GRAPHS)}, a networkx.Graph or an edge list; got {graph!r}"
    )


def network_topology(graph: nx.Graph, random: Any, require_neighbours: bool) -> Topology:
    """Players on the nodes of ``graph`` (in ``graph.nodes`` order), neighbours from Mesa.

    Self-loops are dropped: a player meets itself only through ``self_interaction``.

    Raises:
        TopologyError: with ``require_neighbours``, when some player has no neighbour.

    """
    nodes = tuple(graph.nodes)
    if len(nodes) < 2:
        raise TopologyError(f"a network needs at least 2 players, got {len(nodes)}")
    if require_neighbours:
        isolated = [i for i, v in enumerate(nodes) if not any(u != v for u in graph.neighbors(v))]
        if isolated:
            raise TopologyError(
                f"the graph has {len(isolated)} isolated players (indices "
                f"{', '.join(map(str, isolated[:5]))}{', …' if len(isolated) > 5 else ''}); "
                "under neighbour interaction every player needs a neighbour: connect them, "
                "or use structure='well_mixed'"
            )
    kwargs: dict[str, Any] = {"random": random}
    if "layout" in inspect.signature(Network).parameters:
        kwargs["layout"] = None  # Mesa ≥ 3.5 would otherwise compute a spring layout (slow)
    space = Network(graph, **kwargs)
    index = {v: i for i, v in enumerate(nodes)}
    neighbours = [
        [index[c.coordinate] for c in space[v].connections.values() if c.coordinate != v]
        for v in nodes
    ]
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(nb) for nb in neighbours])
    indices = np.fromiter((j for nb in neighbours for j in nb), dtype=np.int64, count=indptr[-1])
    side = np.arange(len(nodes), dtype=np.int64) % 2
    return Topology("network", len(nodes), indptr, indices, space, nodes=nodes, side=side)


# ---------------------------------------------------------------------------- well-mixed
def well_mixed_topology(n: int) -> Topology:
    """No structure: partners are drawn afresh every step (random pairwise matching)."""
    if n % 2:
        raise TopologyError(
            f"well-mixed random matching pairs everyone up: n_players must be even, got {n}"
        )
    empty = np.zeros(n + 1, dtype=np.int64)
    side = np.arange(n, dtype=np.int64) % 2
    return Topology("well_mixed", n, empty, np.zeros(0, dtype=np.int64), side=side)
