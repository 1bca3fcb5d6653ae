"""What the benchmarks print about the machine they ran on (figures mean little without it)."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

__all__ = ["machine"]


def machine() -> str:
    """One line: the CPU's model name, its logical CPUs and the load average at the start.

    The load matters on shared machines: a figure measured at load 7 is not comparable with
    one measured on a quiet machine, which is why every benchmark also reports a same-run ratio.
    """
    name = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if not name and cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    load = ""
    with contextlib.suppress(OSError):
        load = f", load average {os.getloadavg()[0]:.1f}"
    return f"{name or platform.machine()}, {os.cpu_count()} logical CPUs, {platform.system()}{load}"
