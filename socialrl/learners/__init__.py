"""Learners: batched over the agents of a group, one file per algorithm.

Every learner serves a *group* of agents as one batch (:class:`~socialrl.learners.base.Learner`:
``bind``, ``act``, ``greedy``, ``learn``, …). The algorithms are the lecture's three families
of reinforcement learning, which differ in what they learn and how they turn it into actions:

**Value-based** — learn the action values ``Q(s, a)`` and act (ε-)greedily on them. Both
learners below move ``Q(s, a)`` towards the Bellman target ``r + γ max_a' Q(s', a')``:

- :mod:`~socialrl.learners.q_learning` — tabular Q-learning (Watkins 1989): one
  ``Q[agents, states, actions]`` array, updated by the compiled loops of
  :mod:`~socialrl.learners.q_learning_kernels`.
- :mod:`~socialrl.learners.dqn` — Deep Q-Networks (Mnih et al. 2015): a network approximates
  ``Q``, trained on minibatches of past experience (:mod:`~socialrl.learners.replay`) against a
  slowly moving target network.

**Policy-based** — learn the policy ``π_θ(a | s)`` itself and follow the gradient of the
expected return, ``Σ_t Â_t ∇_θ log π_θ(a_t | s_t)`` (stochastic policies come naturally):

- :mod:`~socialrl.learners.reinforce` — REINFORCE (Williams 1992): ``Â_t`` is the Monte-Carlo
  return of the rest of the episode (optionally minus a learned baseline).
- :mod:`~socialrl.learners.actor_critic` — advantage actor-critic (Mnih et al. 2016): a learned
  critic ``V(s)`` serves as the baseline and bootstraps the return, so ``Â_t`` is an n-step
  (or GAE) advantage and updates need not wait for episodes to end.

**Model-based** — learn a model of the environment and plan with it:

- :mod:`~socialrl.learners.dyna_q` — Dyna-Q (Sutton 1991): Q-learning on real steps, plus
  simulated steps replayed from a learned model (kernels in
  :mod:`~socialrl.learners.dyna_q_kernels`).

**Search** — plan each move by simulating the game with its rules (a game model's
:class:`~socialrl.games.GameRules`), many games' trees grown at once
(:mod:`~socialrl.learners.tree_search`, compiled walks in :mod:`~socialrl.learners.search_tree`):

- :mod:`~socialrl.learners.mcts` — Monte Carlo tree search with UCT and random play-outs
  (Kocsis & Szepesvári 2006): search alone, the baseline.
- :mod:`~socialrl.learners.alphazero` — AlphaZero (Silver et al. 2017, 2018): PUCT search
  (:mod:`~socialrl.learners.puct`, beside UCT) guided by a policy-value network
  (:mod:`~socialrl.learners.policy_value_net`) that learns from its own self-play games
  (:mod:`~socialrl.learners.self_play_window`).

Beside them, :mod:`~socialrl.learners.fixed` holds policies that do not learn (random, fixed
actions, your own function). The shared pieces live in modules named after what they hold:
:mod:`~socialrl.learners.batches` (typed batches of transitions), :mod:`~socialrl.learners.replay`
(the replay buffer), :mod:`~socialrl.learners.rollout` and
:mod:`~socialrl.learners.trajectories` (actor-critic's rollouts, REINFORCE's episodes),
:mod:`~socialrl.learners.returns` (returns and GAE), :mod:`~socialrl.learners.policy_loss` and
:mod:`~socialrl.learners.softmax_policy` (what both policy-gradient learners share),
:mod:`~socialrl.learners.networks` (encoders, networks, populations of them),
:mod:`~socialrl.learners.schedules` (ε schedules).

The deep learners (DQN, REINFORCE, actor-critic) need torch; they are imported on first use
(``from socialrl.learners import DQN``), so that ``import socialrl`` works without it.
"""

import importlib
from typing import Any

from socialrl.learners.base import Learner, load_state, save_state
from socialrl.learners.dyna_q import DynaQ, DynaQConfig
from socialrl.learners.fixed import CallablePolicy, FixedAction, RandomPolicy
from socialrl.learners.mcts import MCTS, MCTSConfig
from socialrl.learners.q_learning import QLearning, QLearningConfig
from socialrl.learners.schedules import Constant, Exponential, Linear, Schedule, as_schedule

#: The learners that need torch, imported on first use: name → module.
_TORCH_LEARNERS = {
    "ActorCritic": "socialrl.learners.actor_critic",
    "AlphaZero": "socialrl.learners.alphazero",
    "AlphaZeroConfig": "socialrl.learners.alphazero",
    "ActorCriticConfig": "socialrl.learners.actor_critic",
    "DQN": "socialrl.learners.dqn",
    "DQNConfig": "socialrl.learners.dqn",
    "Reinforce": "socialrl.learners.reinforce",
    "ReinforceConfig": "socialrl.learners.reinforce",
}

__all__ = [
    "DQN",
    "MCTS",
    "ActorCritic",
    "ActorCriticConfig",
    "AlphaZero",
    "AlphaZeroConfig",
    "CallablePolicy",
    "Constant",
    "DQNConfig",
    "DynaQ",
    "DynaQConfig",
    "Exponential",
    "FixedAction",
    "Learner",
    "Linear",
    "MCTSConfig",
    "QLearning",
    "QLearningConfig",
    "RandomPolicy",
    "Reinforce",
    "ReinforceConfig",
    "Schedule",
    "as_schedule",
    "load_state",
    "save_state",
]


def __getattr__(name: str) -> Any:
    """Import a torch-dependent learner on first use (PEP 562)."""
    if name in _TORCH_LEARNERS:
        return getattr(importlib.import_module(_TORCH_LEARNERS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
