"""Learners: batched over the agents of a group, one file per algorithm family."""

from socialrl.learners.base import Learner, load_state, save_state
from socialrl.learners.dyna import DynaQ
from socialrl.learners.fixed import CallablePolicy, FixedAction, RandomPolicy
from socialrl.learners.schedules import Constant, Exponential, Linear, Schedule, as_schedule
from socialrl.learners.tabular import QLearning, QLearningConfig

__all__ = [
    "CallablePolicy",
    "Constant",
    "DynaQ",
    "Exponential",
    "FixedAction",
    "Learner",
    "Linear",
    "QLearning",
    "QLearningConfig",
    "RandomPolicy",
    "Schedule",
    "as_schedule",
    "load_state",
    "save_state",
]
