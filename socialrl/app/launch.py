"""``socialrl app [RESULTS]``: start the app on a results folder with ``streamlit run``.

The packaged entry script (:data:`socialrl.app.ENTRY`) is run, so the command works from an
installed socialrl as well as from a checkout. The results folder travels both as the script
argument ``--results`` and as ``$SOCIALRL_RESULTS``. By default the server listens on this
machine only (``127.0.0.1``): results are research data, not for the whole network.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from socialrl.app import ENTRY
from socialrl.app.paths import ENV_VAR

__all__ = ["command", "free_port", "serve"]

DEFAULT_PORT = 8501


def free_port(start: int = DEFAULT_PORT, address: str = "127.0.0.1", tries: int = 50) -> int:
    """The first port from ``start`` on that nothing listens on."""
    for port in range(start, start + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port in {start}–{start + tries - 1}")


def command(results: Path, port: int, address: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line for the app."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ENTRY),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--",
        "--results",
        str(results),
    ]


def serve(results: Path, port: int | None = None, address: str = "127.0.0.1") -> int:
    """Run the app in the foreground until Ctrl-C; returns Streamlit's exit code."""
    results = results.expanduser().resolve()
    port = port or free_port(DEFAULT_PORT, address)
    host = "localhost" if address in ("127.0.0.1", "localhost") else address
    print(f"socialrl app on {results}: http://{host}:{port}  (Ctrl-C stops it)", flush=True)
    env = {**os.environ, ENV_VAR: str(results)}
    try:
        return subprocess.call(command(results, port, address), env=env)
    except KeyboardInterrupt:
        return 0
