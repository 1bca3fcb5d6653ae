"""The few places where Mesa 3.3 and Mesa 3.5 differ and we must care."""

from __future__ import annotations

from typing import Any

import mesa

__all__ = ["release_model"]


def release_model(model: Any) -> None:
    """Forget a finished model in Mesa's class-level bookkeeping.

    Mesa 3.3 keeps a ``defaultdict`` of id counters keyed by model on ``mesa.Agent._ids``, which
    keeps every model ever built alive; a process that runs thousands of models (a study
    worker) would grow without bound. Later Mesa versions keep the counter on the model.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
