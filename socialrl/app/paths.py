"""The results root, and the rule that the app reads and writes nothing outside it.

The root is chosen when the app starts (``socialrl app DIR``, ``streamlit run app.py --
--results DIR``, or ``SOCIALRL_RESULTS``; default ``results``). In the app a researcher may
move to a folder *below* it, never above: every path the app touches is resolved (symbolic
links and ``..`` included) and checked with ``Path.is_relative_to`` against the launch root,
so a study name, a table name or a link inside a study cannot lead elsewhere.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ENV_VAR", "OutsideRootError", "choose_root", "confine", "launch_root"]

#: Environment variable naming the results root (``socialrl app`` sets it too).
ENV_VAR = "SOCIALRL_RESULTS"
DEFAULT_ROOT = "results"


class OutsideRootError(ValueError):
    """A path that resolves outside the results root."""


def launch_root(argv: Sequence[str] | None = None) -> Path:
    """The results root the app was started on, resolved.

    ``--results DIR`` among the script's arguments wins, then ``$SOCIALRL_RESULTS``, then
    ``results`` in the working directory. The folder need not exist yet (the Run page
    creates it).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    chosen: str | None = None
    for i, arg in enumerate(args):
        if arg == "--results" and i + 1 < len(args):
            chosen = args[i + 1]
        elif arg.startswith("--results="):
            chosen = arg.split("=", 1)[1]
    chosen = chosen or os.environ.get(ENV_VAR) or DEFAULT_ROOT
    return Path(chosen).expanduser().resolve()


def confine(path: str | Path, root: Path) -> Path:
    """``path`` resolved (links followed), if it lies at or below ``root``.

    Relative paths are taken relative to ``root``.

    Raises:
        OutsideRootError: naming the path and the root.

    """
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = root / candidate
    resolved = candidate.resolve()
    base = root.resolve()
    if not resolved.is_relative_to(base):
        raise OutsideRootError(f"{path} lies outside the results root {base}; refused")
    return resolved


def choose_root(text: str, launch: Path) -> Path:
    """The folder a researcher typed in the app: the launch root or a folder below it.

    Raises:
        OutsideRootError: for a folder outside the launch root (start the app there instead).

    """
    text = text.strip()
    if not text:
        return launch
    try:
        return confine(text, launch)
    except OutsideRootError:
        raise OutsideRootError(
            f"{text} lies outside the folder the app was started on ({launch}); the app reads "
            "only below it. To look elsewhere, start it there: socialrl app FOLDER"
        ) from None
