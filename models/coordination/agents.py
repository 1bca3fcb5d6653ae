"""The coordination model's agents: players.

A player is a real Mesa agent (identity, ``unique_id``, membership in ``model.agents``, a cell
of the grid or a node of the network), but its per-step state lives in the model's arrays so
that a million players step in a few compiled loops. Its attributes are read-only views of
those arrays: always current, free while nobody looks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

if TYPE_CHECKING:
    from .model import CoordinationModel

__all__ = ["Player"]


class Player(mesa.Agent):
    """One player (role ``player`` when it learns; otherwise driven by a revision rule).

    Args:
        model: The model it plays in.
        index: Its index among all players (``model.actions[index]`` is its last action).
        slot: Its slot in the role's batch, or −1 for a rule player (no role).
        rule: ``"learner"``, or the revision rule the model runs for it.

    """

    role = "player"

    def __init__(self, model: CoordinationModel, index: int, slot: int, rule: str) -> None:
        super().__init__(model)
        self.index = index
        self.slot = slot
        self.rule = rule

    @property
    def game_model(self) -> CoordinationModel:
        """The model, typed."""
        return self.model

    @property
    def action(self) -> int:
        """The action it chose in the last step."""
        return int(self.game_model.actions[self.index])

    @property
    def payoff(self) -> float:
        """Its payoff in the last step."""
        return float(self.game_model.payoffs[self.index])

    @property
    def side(self) -> int:
        """Its side in an asymmetric game: 0 holds the row role, 1 the column role."""
        return int(self.game_model.topology.side[self.index])  # type: ignore[index]

    @property
    def neighbours(self) -> np.ndarray:
        """Indices of its neighbours (empty when well-mixed)."""
        return self.game_model.topology.neighbours(self.index)

    @property
    def position(self) -> Any:
        """``(row, col)`` on a grid, the node on a network, None when well-mixed."""
        topology = self.game_model.topology
        if topology.shape is not None:
            row, col = divmod(self.index, topology.shape[1])
            return (row, col)
        if topology.nodes is not None:
            return topology.nodes[self.index]
        return None

    @property
    def cell(self) -> Any:
        """Its cell of the Mesa space (a grid cell or a network node), None when well-mixed."""
        space = self.game_model.topology.space
        return None if space is None else space[self.position]
