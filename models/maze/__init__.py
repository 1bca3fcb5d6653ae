"""The maze: walkers learning their way to a goal (the lecture's running example)."""

from .layouts import BUILTIN_LAYOUTS, Layout, LayoutError, get_layout, random_maze
from .model import MazeModel
from .theory import (
    ACTION_NAMES,
    ACTIONS,
    MazeMDP,
    greedy_path_lengths,
    shortest_path_lengths,
    value_iteration,
)

__all__ = [
    "ACTIONS",
    "ACTION_NAMES",
    "BUILTIN_LAYOUTS",
    "Layout",
    "LayoutError",
    "MazeMDP",
    "MazeModel",
    "get_layout",
    "greedy_path_lengths",
    "random_maze",
    "shortest_path_lengths",
    "value_iteration",
]
