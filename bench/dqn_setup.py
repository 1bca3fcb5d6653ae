"""Shared pieces of the DQN benchmark (:mod:`bench_dqn`): the one set of hyperparameters both
libraries get, the run plans, and the runs and learners the measurements time.

Kept apart from ``bench_dqn.py`` (the measurements and the report) and ``dqn_breakdown.py``
(where the time goes), so that each file reads on its own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)  # small MLPs are faster single-threaded (both sides get the same)

from socialrl_models.maze import MazeModel  # noqa: E402
from stable_baselines3 import DQN as SB3DQN  # noqa: E402
from torch import nn  # noqa: E402

import socialrl  # noqa: E402
from socialrl.learners.batches import Transitions  # noqa: E402
from socialrl.learners.dqn import DQN  # noqa: E402
from socialrl.learners.networks import NetworkPopulation, encoder_for, make_network  # noqa: E402
from socialrl.mesa_compat import release_model  # noqa: E402

LAYOUT = "lecture"  # the maze's default layout: 27 open cells, 4 moves
MAX_EPISODE_STEPS = 100
N_AGENTS = 64


@dataclass(frozen=True)
class Hyper:
    """The one set of hyperparameters both libraries get."""

    hidden: tuple[int, ...] = (64, 64)
    lr: float = 1e-3
    gamma: float = 0.99
    buffer_size: int = 50_000
    batch_size: int = 32
    learning_starts: int = 1_000
    train_every: int = 4
    gradient_steps: int = 1
    target_update_interval: int = 1_000
    exploration_fraction: float = 0.1
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    max_grad_norm: float = 10.0  # both: Huber loss, clipping at norm 10 (SB3's defaults)

    def ours(self, steps: int, **overrides: Any) -> DQN:
        """Our DQN, ε decaying over ``exploration_fraction`` of ``steps``."""
        params: dict[str, Any] = {
            "lr": self.lr,
            "gamma": self.gamma,
            "epsilon": {
                "kind": "linear",
                "start": self.epsilon_start,
                "end": self.epsilon_end,
                "steps": max(1, int(self.exploration_fraction * steps)),
            },
            "buffer_size": self.buffer_size,
            "batch_size": self.batch_size,
            "learning_starts": self.learning_starts,
            "train_every": self.train_every,
            "gradient_steps": self.gradient_steps,
            "target_update_interval": self.target_update_interval,
            "loss": "huber",
            "max_grad_norm": self.max_grad_norm,
            "hidden": self.hidden,
            "network": "mlp",
            "device": "cpu",
        }
        params.update(overrides)
        return DQN(**params)

    def sb3(self, env: gym.Env[Any, Any], **overrides: Any) -> SB3DQN:
        """Stable-Baselines3's DQN with the same settings."""
        params: dict[str, Any] = {
            "learning_rate": self.lr,
            "gamma": self.gamma,
            "buffer_size": self.buffer_size,
            "batch_size": self.batch_size,
            "learning_starts": self.learning_starts,
            "train_freq": self.train_every,
            "gradient_steps": self.gradient_steps,
            "target_update_interval": self.target_update_interval,
            "tau": 1.0,
            "exploration_fraction": self.exploration_fraction,
            "exploration_initial_eps": self.epsilon_start,
            "exploration_final_eps": self.epsilon_end,
            "max_grad_norm": self.max_grad_norm,
            "policy_kwargs": {"net_arch": list(self.hidden)},
            "device": "cpu",
            "seed": 0,
            "verbose": 0,
        }
        params.update(overrides)
        return SB3DQN("MlpPolicy", env, **params)


HYPER = Hyper()


@dataclass(frozen=True)
class Plan:
    """Run lengths: (a) steps of one agent, (b) steps of 64 agents, (c)/(d) repetitions."""

    single_steps: int
    shared_steps: int
    forward_reps: int
    loop_forward_reps: int
    train_reps: int
    loop_train_reps: int
    repeats: int


FULL = Plan(10_000, 10_000, 400, 40, 60, 6, 3)
QUICK = Plan(1_100, 1_100, 10, 2, 3, 1, 1)


# ---------------------------------------------------------------------------- runs
def maze_params(n_walkers: int) -> dict[str, Any]:
    return {"layout": LAYOUT, "n_walkers": n_walkers, "max_episode_steps": MAX_EPISODE_STEPS}


def run_ours(steps: int, n_walkers: int = 1, **overrides: Any) -> float:
    """Seconds for one ``socialrl.simulate`` DQN run (everything included).

    ``record_every=steps``: one ``steps`` row at the end (the loss is NaN before the first
    gradient step and the recorder refuses a NaN loss, so no row may fall before it).
    """
    learner = HYPER.ours(steps, **overrides)
    started = time.perf_counter()
    socialrl.simulate(
        "maze",
        maze_params(n_walkers),
        {"walker": learner},
        steps=steps,
        seed=0,
        record_every=steps,
    )
    return time.perf_counter() - started


def run_sb3(steps: int, **overrides: Any) -> float:
    """Seconds for building Stable-Baselines3's DQN and environment and ``learn(steps)``."""
    started = time.perf_counter()
    env = gym.make("socialrl/Maze-v0", layout=LAYOUT, max_episode_steps=MAX_EPISODE_STEPS)
    model = HYPER.sb3(env, **overrides)
    model.learn(total_timesteps=steps, progress_bar=False)
    seconds = time.perf_counter() - started
    env.close()
    return seconds


def warm_up() -> None:
    """Untimed tiny runs of both paths (imports, first calls of every torch op)."""
    run_ours(60, learning_starts=20)
    run_sb3(60, learning_starts=20)


def interleaved_best(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Best time of each run, the runs taking turns so that they share the machine's moods."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            best[name] = min(best[name], run())
    return best


def time_calls(fn: Callable[[], object], reps: int) -> float:
    """Seconds per call (one pass of ``reps`` calls)."""
    started = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - started) / reps


# ---------------------------------------------------------------------------- learners, networks
def bound_learner(n_agents: int, shared: bool, seed: int) -> tuple[DQN, int, int]:
    """A DQN bound to ``n_agents`` maze walkers, training at every ``learn`` (buffer filled)."""
    model = MazeModel(LAYOUT)
    spec = model.roles["walker"]
    release_model(model)
    # ε at its final value: every learner uses its network (nearly) every step, as after the
    # exploration phase; learning at every call.
    learner = HYPER.ours(
        1_000, learning_starts=0, train_every=1, shared=shared, epsilon=HYPER.epsilon_end
    )
    learner.bind(n_agents, spec.observation_space, spec.action_space, np.random.SeedSequence(seed))
    n_obs, n_actions = int(spec.observation_space.n), int(spec.action_space.n)
    rng = np.random.default_rng(seed)
    flags = np.zeros(n_agents, bool)
    for _ in range(2 * HYPER.batch_size):
        learner.buffer.add(
            Transitions(
                obs=rng.integers(n_obs, size=n_agents),
                actions=rng.integers(n_actions, size=n_agents),
                reward=-np.ones(n_agents),
                next_obs=rng.integers(n_obs, size=n_agents),
                terminated=flags,
                truncated=flags,
                valid=~flags,
            )
        )
    return learner, n_obs, n_actions


def build_networks(n: int) -> tuple[NetworkPopulation, list[nn.Module], int]:
    """The stacked population and 64 separate modules, built as DQN builds its networks."""
    model = MazeModel(LAYOUT)
    space = model.roles["walker"].observation_space
    n_actions = int(model.roles["walker"].action_space.n)
    release_model(model)
    encoder = encoder_for(space)
    pop = NetworkPopulation(
        lambda: make_network(encoder, n_actions, HYPER.hidden, "mlp"),
        n,
        False,
        0,
        torch.device("cpu"),
    )
    torch.manual_seed(0)
    loose = [make_network(encoder, n_actions, HYPER.hidden, "mlp") for _ in range(n)]
    return pop, loose, int(space.n)
