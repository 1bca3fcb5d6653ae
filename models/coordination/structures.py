"""The social structure of a coordination model, as one typed object: grid, network or well-mixed.

Who meets whom is one decision with its own parameters: a torus has a size and a
neighbourhood, a generated network a graph family, a size, a degree and a rewiring
probability, a well-mixed population only a size. Each structure is a frozen dataclass that
holds exactly its own parameters (so a grid cannot be given a rewiring probability), checks
them when it is made, and builds the model's :class:`~.topology.Topology`::

    CoordinationModel(structure=Grid(width=30, height=30, neighbourhood="moore"))
    CoordinationModel(structure=Network(graph="scale_free", n_players=400, degree=4))
    CoordinationModel(structure=WellMixed(n_players=200))

Study files (TOML or Python) write the same object as a table with a ``kind``, so a sweep can
vary the structure as one value::

    [model]
    params = { structure = { kind = "grid", width = 20, height = 20 } }

A bare name (``structure = "well_mixed"``) is that structure with its defaults.

How a player meets its partners belongs to the structure too (``interaction``): on grids and
networks it plays every neighbour (``"neighbours"``, Nowak & May's setting) or one neighbour
drawn afresh each step (``"random_neighbour"``); a well-mixed population is matched in random
pairs (``"matching"``, its only option).
"""

from __future__ import annotations

import random as stdlib_random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, TypeAlias

import networkx as nx
import numpy as np

from .topology import (
    GRAPHS,
    NEIGHBOURHOODS,
    Topology,
    TopologyError,
    as_graph,
    grid_topology,
    make_graph,
    network_topology,
    well_mixed_topology,
)

__all__ = [
    "STRUCTURES",
    "Grid",
    "Network",
    "Structure",
    "WellMixed",
    "as_structure",
    "structure_table",
]

#: The interactions each kind of structure allows; the first is the default.
NEIGHBOUR_INTERACTIONS = ("neighbours", "random_neighbour")


@dataclass(frozen=True)
class Grid:
    """A ``height × width`` torus (Mesa ``OrthogonalVonNeumannGrid`` / ``OrthogonalMooreGrid``).

    Attributes:
        width: Columns (≥ 3: smaller tori repeat neighbours).
        height: Rows (≥ 3).
        neighbourhood: ``"von_neumann"`` (4 neighbours) or ``"moore"`` (8).
        interaction: ``"neighbours"`` (play all of them) or ``"random_neighbour"``.

    """

    width: int = 10
    height: int = 10
    neighbourhood: str = "von_neumann"
    interaction: str = "neighbours"

    kind: ClassVar[str] = "grid"
    interactions: ClassVar[tuple[str, ...]] = NEIGHBOUR_INTERACTIONS

    def __post_init__(self) -> None:
        _check_interaction(self)
        if self.neighbourhood not in NEIGHBOURHOODS:
            raise TopologyError(
                f"neighbourhood must be one of {', '.join(map(repr, NEIGHBOURHOODS))} on a "
                f"grid, got {self.neighbourhood!r}"
            )
        for name, value in (("width", self.width), ("height", self.height)):
            if isinstance(value, bool) or int(value) != value or value < 3:
                raise TopologyError(
                    f"{name} must be an integer ≥ 3 (smaller tori repeat neighbours), got {value!r}"
                )

    def build(self, rng: np.random.Generator, random: stdlib_random.Random) -> Topology:
        """The torus's neighbourhoods (Mesa's grid takes the model's ``random``)."""
        del rng  # a grid draws nothing
        return grid_topology(int(self.width), int(self.height), self.neighbourhood, random)

    def label(self) -> str:
        """E.g. ``grid 20×20 von_neumann, random_neighbour``."""
        return f"grid {self.height}×{self.width} {self.neighbourhood}, {self.interaction}"


@dataclass(frozen=True)
class Network:
    """Players on the nodes of a graph (Mesa ``discrete_space.Network``).

    Attributes:
        graph: A generated family (``"small_world"``, ``"scale_free"``, ``"random"``,
            ``"regular"``, ``"ring"``, ``"complete"``, ``"pairs"``; see
            :func:`~.topology.make_graph`), a ``networkx.Graph``, or an edge list
            ``[[u, v], …]``.
        n_players: Size of a generated graph (default 100); a given graph has its own.
        degree: Mean degree of a generated graph.
        rewire: Rewiring probability of ``"small_world"``.
        interaction: ``"neighbours"`` (play all of them) or ``"random_neighbour"``.

    """

    graph: str | nx.Graph | Sequence[Sequence[Any]] = "small_world"
    n_players: int | None = None
    degree: int = 4
    rewire: float = 0.1
    interaction: str = "neighbours"

    kind: ClassVar[str] = "network"
    interactions: ClassVar[tuple[str, ...]] = NEIGHBOUR_INTERACTIONS

    def __post_init__(self) -> None:
        _check_interaction(self)
        if isinstance(self.graph, str):
            if self.graph not in GRAPHS:
                raise TopologyError(f"unknown graph {self.graph!r}; allowed: {', '.join(GRAPHS)}")
            if self.n_players is not None:
                _check_size(self.n_players)
        elif self.n_players is not None:
            raise TopologyError("n_players applies to generated graphs; a given graph has its own")
        else:
            as_graph(self.graph)  # refuses what is neither a graph nor an edge list
            if not isinstance(self.graph, nx.Graph):  # an edge list, hashable as a frozen value
                object.__setattr__(self, "graph", tuple(tuple(e) for e in self.graph))

    def build(self, rng: np.random.Generator, random: stdlib_random.Random) -> Topology:
        """Generate (seeded by the model's ``rng``) or take the graph, then read Mesa's network."""
        graph: Any = self.graph
        if isinstance(graph, str):
            seed = int(rng.integers(2**31))
            n = 100 if self.n_players is None else int(self.n_players)
            graph = make_graph(graph, n, self.degree, self.rewire, seed)
        return network_topology(as_graph(graph), random, require_neighbours=True)

    def label(self) -> str:
        """E.g. ``network small_world, 400 players, random_neighbour``."""
        if not isinstance(self.graph, str):
            return f"network (given graph), {self.interaction}"
        n = 100 if self.n_players is None else self.n_players
        return f"network {self.graph}, {n} players, {self.interaction}"


@dataclass(frozen=True)
class WellMixed:
    """No structure: everyone is paired with a random partner every step.

    Attributes:
        n_players: Population size (even: random matching pairs everyone up).
        interaction: ``"matching"``, the only option.

    """

    n_players: int = 100
    interaction: str = "matching"

    kind: ClassVar[str] = "well_mixed"
    interactions: ClassVar[tuple[str, ...]] = ("matching",)

    def __post_init__(self) -> None:
        _check_interaction(self)
        _check_size(self.n_players)

    def build(self, rng: np.random.Generator, random: stdlib_random.Random) -> Topology:
        """No neighbourhoods: partners are drawn each step."""
        del rng, random
        return well_mixed_topology(int(self.n_players))

    def label(self) -> str:
        """E.g. ``well_mixed, 200 players``."""
        return f"well_mixed, {self.n_players} players"


Structure: TypeAlias = Grid | Network | WellMixed
STRUCTURES: dict[str, type[Structure]] = {s.kind: s for s in (Grid, Network, WellMixed)}


def as_structure(value: Structure | str | Mapping[str, Any]) -> Structure:
    """A structure from an object, a kind's name (its defaults) or a table with a ``kind``.

    Raises:
        TopologyError: unknown kind, a parameter the kind does not have, or a bad value; one
            line naming what is allowed.

    """
    if isinstance(value, Grid | Network | WellMixed):
        return value
    if isinstance(value, str):
        return _kind(value)()
    if isinstance(value, Mapping):
        params = dict(value)
        if "kind" not in params:
            raise TopologyError(
                f"structure needs a 'kind' ({', '.join(map(repr, STRUCTURES))}), got {value!r}"
            )
        cls = _kind(params.pop("kind"))
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise TopologyError(
                f"structure {cls.kind!r} has no parameter {', '.join(map(repr, unknown))}; "
                f"allowed: kind, {', '.join(allowed)}"
            )
        return cls(**params)
    raise TopologyError(
        f"structure must be one of {', '.join(map(repr, STRUCTURES))}, a table with a 'kind', "
        f"or a Grid/Network/WellMixed object; got {value!r}"
    )


def structure_table(structure: Structure) -> dict[str, Any]:
    """The table a study file writes for ``structure`` (the inverse of :func:`as_structure`)."""
    table = {"kind": structure.kind, **asdict(structure)}
    if isinstance(structure, Network) and not isinstance(structure.graph, str):
        edges = structure.graph.edges if isinstance(structure.graph, nx.Graph) else structure.graph
        table["graph"] = [list(e) for e in edges]
    return table


def _kind(name: Any) -> type[Structure]:
    if name not in STRUCTURES:
        raise TopologyError(
            f"structure must be one of {', '.join(map(repr, STRUCTURES))}, got {name!r}"
        )
    return STRUCTURES[name]


def _check_interaction(structure: Structure) -> None:
    if structure.interaction not in structure.interactions:
        raise TopologyError(
            f"interaction must be one of {', '.join(map(repr, structure.interactions))} for "
            f"structure {structure.kind!r}, got {structure.interaction!r}"
        )


def _check_size(n: Any) -> None:
    if isinstance(n, bool) or int(n) != n or n < 2:
        raise TopologyError(f"n_players must be an integer ≥ 2, got {n!r}")
