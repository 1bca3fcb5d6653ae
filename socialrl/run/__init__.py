"""One run of a model with a population: the loop, its settings, its tables, its stopping rules.

- :mod:`~socialrl.run.loop`: :func:`simulate` — observe → act → step → learn → record;
- :mod:`~socialrl.run.settings`: :class:`RunSettings` — length, recording, stopping (typed);
- :mod:`~socialrl.run.recorder`: the ``steps``, ``episodes`` and ``agents`` tables;
- :mod:`~socialrl.run.stopping`: episodes reached, stable policies, stable sessions;
- :mod:`~socialrl.run.repeated_game` (+ ``_kernels``): the compiled path of tabular
  Q-learners in a model of repeated games, many periods per call, same tables as the loop;
  :mod:`~socialrl.run.duopoly_kernels` is its leaner loop for the common case (two players,
  memory one, a table each: Calvano's markets), picked automatically, bit-identical.
"""

from socialrl.run.loop import run_simulation, simulate
from socialrl.run.settings import RunSettings

__all__ = ["RunSettings", "run_simulation", "simulate"]
