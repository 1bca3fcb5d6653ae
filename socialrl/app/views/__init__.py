"""Model views: one small module per model, found by the study's model name.

A view module defines ``TITLE`` (a heading) and ``render(study)``, and reads only the study's
tables (standard and extra, through :class:`~socialrl.app.data.Study`); a view whose table is
absent says so on the page. Register a new model's view by adding a line to :data:`VIEWS`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["VIEWS", "view_for"]

#: Model name (as studies write it) → the module of its view.
VIEWS: dict[str, str] = {
    "maze": "socialrl.app.views.maze",
    "pricing": "socialrl.app.views.pricing",
    "coordination": "socialrl.app.views.coordination",
}


def view_for(model: str) -> ModuleType | None:
    """The view module of a model name, or of ``models.<name>.…:Class``; None if there is none."""
    name = model
    if ":" in model:  # a model named by import path: socialrl_models.maze.model:MazeModel → maze
        parts = model.split(":", 1)[0].split(".")
        name = parts[1] if len(parts) > 1 and parts[0] == "models" else parts[0]
    target = VIEWS.get(name)
    return importlib.import_module(target) if target else None
