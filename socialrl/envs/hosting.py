"""What every environment that *holds* a model does the same way: draw it and let it go.

Environments hold their Mesa model instead of inheriting from it (Mesa's ``Model.__init__``
rebinds ``step``, which breaks ``Env.step``), so the single-agent and the PettingZoo views
share these two methods through this small mixin rather than through a common base class.
"""

from __future__ import annotations

from typing import Any

from socialrl.capabilities import TextRendering
from socialrl.mesa_compat import release_model

__all__ = ["Hosting"]


class Hosting:
    """``render()`` and ``close()`` for an environment with ``model`` and ``render_mode``."""

    model: Any
    render_mode: str | None

    def render(self) -> str | None:
        """Text drawing of the model (``render_mode="ansi"``, models that draw themselves)."""
        if self.render_mode != "ansi" or self.model is None:
            return None
        if not isinstance(self.model, TextRendering):
            raise NotImplementedError(f"{type(self.model).__name__} cannot draw itself as text")
        return self.model.render_text()

    def close(self) -> None:
        """Release the model (Mesa 3.3 keeps every model alive otherwise)."""
        if self.model is not None:
            release_model(self.model)
            self.model = None
