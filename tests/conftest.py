"""Test-wide settings."""

from __future__ import annotations

import sys

# Small networks are faster single-threaded (and tests share two cores with each other).
if "torch" in sys.modules or __import__("importlib").util.find_spec("torch") is not None:
    import torch

    torch.set_num_threads(1)
