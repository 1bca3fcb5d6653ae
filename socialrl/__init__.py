"""socialrl: a simulation lab for learning agents in Mesa agent-based models.

The pieces, bottom-up: :mod:`socialrl.contract` (how a Mesa model exposes roles as batches),
:mod:`socialrl.envs` (batched, Gymnasium and PettingZoo views of a model),
:mod:`socialrl.learners` (batched populations of learners), :mod:`socialrl.population`
(which learner drives which agents), :func:`simulate` (the run loop) and
:mod:`socialrl.results` (tidy tables on disk).
"""

from socialrl.contract import MultiAgentModel, RoleSpec, RoleStep
from socialrl.envs import MultiAgentEnv, ParallelEnv, SingleAgentEnv, register_envs
from socialrl.learners import QLearning
from socialrl.population import Group, Population
from socialrl.results import Results
from socialrl.run import simulate
from socialrl.study import load_results, run_study

__version__ = "0.1.0"

register_envs()

__all__ = [
    "Group",
    "MultiAgentEnv",
    "MultiAgentModel",
    "ParallelEnv",
    "Population",
    "QLearning",
    "Results",
    "RoleSpec",
    "RoleStep",
    "SingleAgentEnv",
    "__version__",
    "load_results",
    "register_envs",
    "run_study",
    "simulate",
]
