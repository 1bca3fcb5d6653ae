"""The maze's agents: walkers.

A walker is a real Mesa agent (identity, ``unique_id``, membership in ``model.agents``), but its
per-step state lives in the model's arrays so that 10,000 walkers step in a few vectorized
operations. Its attributes are read-only views of those arrays: they are always current and
cost nothing while nobody looks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:
    from .model import MazeModel

__all__ = ["Walker"]


class Walker(mesa.Agent):
    """One walker in the maze (role ``walker``).

    Args:
        model: The maze it walks.
        slot: Its index in the role's batch (``observe("walker")[slot]`` is its observation).

    """

    role = "walker"

    def __init__(self, model: MazeModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    @property
    def maze(self) -> MazeModel:
        """The model, typed as a maze."""
        return self.model

    @property
    def position(self) -> tuple[int, int]:
        """``(row, col)`` of the walker's cell."""
        row, col = self.maze.mdp.cells[self.maze.positions[self.slot]]
        return (int(row), int(col))

    @property
    def cell(self) -> Any:
        """The walker's cell of the Mesa grid (a ``mesa.discrete_space`` cell)."""
        return self.maze.grid[self.position]

    @property
    def episodes_completed(self) -> int:
        """Episodes this walker has finished (reached a goal or trap, or timed out)."""
        return int(self.maze.episodes[self.slot])

    @property
    def active(self) -> bool:
        """Whether the walker is inside an episode (always, with autoreset)."""
        return bool(self.maze.active("walker")[self.slot])
