"""Model views: one small module per model, declared by the model's plugin.

A view module defines ``TITLE`` (a heading) and ``render(study)``, and reads only the study's
tables (standard and extra, through :class:`~socialrl.app.data.Study`); a view whose table is
absent says so on the page. A model package declares its view in its plugin
(``ModelPlugin(view="my_package.view")``, see :mod:`socialrl.plugins`) and may build it from the
toolkit here (:mod:`socialrl.app.views.common`) and the app's charts.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from socialrl import registry
from socialrl.plugins import discover

__all__ = ["view_for", "viewed_models"]


def view_for(model: str) -> ModuleType | None:
    """The view module of a model name or import path; None if its plugin declares none."""
    plugin = registry.plugin_for(model)
    if plugin is None or plugin.view is None:
        return None
    return importlib.import_module(plugin.view)


def viewed_models() -> list[str]:
    """The models whose plugins declare a view."""
    return sorted(name for name, found in discover().plugins.items() if found.plugin.view)
