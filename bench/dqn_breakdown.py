"""Where the time of the DQN benchmark's runs goes (:mod:`bench_dqn`, when a target is missed
or with ``--profile``).

Each part of a run (acting, the environment step, storing, gradient steps, recording) is timed
by wrapping the method that does it, in an extra run; a gradient step of ours is re-enacted
phase by phase.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from dqn_setup import bound_learner, run_ours, run_sb3, time_calls
from stable_baselines3 import DQN as SB3DQN

from socialrl.envs.batched import MultiAgentEnv
from socialrl.learners.dqn import DQN
from socialrl.run.recorder import Recorder

LABEL = 58  # width of the component column


@contextlib.contextmanager
def timed_methods(targets: dict[str, tuple[Any, str]]) -> Iterator[dict[str, list[float]]]:
    """Wrap ``owner.method`` with a timer for each ``label: (owner, method)``; yield the totals.

    The totals are ``label: [seconds, calls]``. Nested wrapped methods count in both.
    """
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    saved = []
    for label, (owner, name) in targets.items():
        original = getattr(owner, name, None)
        if original is None:  # renamed in the library: that row stays at zero
            continue
        saved.append((owner, name, original))

        def wrapper(
            *args: Any, _f: Any = original, _t: list[float] = totals[label], **kw: Any
        ) -> Any:
            started = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                _t[0] += time.perf_counter() - started
                _t[1] += 1

        setattr(owner, name, wrapper)
    try:
        yield totals
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@dataclass(frozen=True)
class Breakdown:
    """Where the time of one run goes: ``(label, seconds, calls)`` rows and the wall time.

    Rows whose label starts with two spaces are parts of the row above (not summed).
    """

    title: str
    steps: int
    wall: float
    rows: list[tuple[str, float, int]]

    def print(self) -> None:
        print(
            f"  {self.title}: {self.wall:.2f} s for {self.steps:,} steps "
            f"= {self.wall / self.steps * 1e6:,.0f} µs per step"
        )
        print(
            f"    {'component':<{LABEL}} | {'µs/step':>8} | {'share':>6} | {'calls':>7} | "
            f"{'µs/call':>8}"
        )
        for label, seconds, calls in self.rows:
            per_call = f"{seconds / calls * 1e6:>8,.0f}" if calls else f"{'':>8}"
            print(
                f"    {label:<{LABEL}} | {seconds / self.steps * 1e6:>8,.0f} | "
                f"{seconds / self.wall:>6.0%} | {calls:>7,} | {per_call}"
            )


def _rows(rows: list[tuple[str, float, float]], wall: float) -> list[tuple[str, float, int]]:
    accounted = sum(seconds for label, seconds, _ in rows if not label.startswith("  "))
    out = [(label, float(seconds), int(calls)) for label, seconds, calls in rows]
    out.append(("rest (the loop itself, building, final tables)", wall - accounted, 0))
    return out


def breakdown_ours(steps: int, n_walkers: int = 1) -> Breakdown:
    """Our run with its parts timed: act (forward), env step, learn (store + gradient steps)…"""
    targets = {
        "act": (DQN, "act"),
        "forward": (DQN, "action_values"),
        "env": (MultiAgentEnv, "step"),
        "learn": (DQN, "learn"),
        "grad": (DQN, "_gradient_step"),
        "record": (Recorder, "after_step"),
    }
    with timed_methods(targets) as t:
        wall = run_ours(steps, n_walkers)
    learn, grad = t["learn"], t["grad"]
    rows = [
        ("act: ε-greedy choice", *t["act"]),
        ("  of which action_values (encode + forward pass)", *t["forward"]),
        ("env step (maze model + batched adapter)", *t["env"]),
        ("learn, without its gradient steps (store, target copy)", learn[0] - grad[0], learn[1]),
        ("gradient steps (DQN._gradient_step)", *grad),
        ("recorder (episode returns)", *t["record"]),
    ]
    title = f"ours, {n_walkers} agent{'s' if n_walkers > 1 else ''}"
    return Breakdown(title, steps, wall, _rows(rows, wall))


def breakdown_sb3(steps: int) -> Breakdown:
    """Stable-Baselines3's run with the same parts timed."""
    from stable_baselines3.common.buffers import ReplayBuffer as SB3Buffer
    from stable_baselines3.common.policies import BasePolicy
    from stable_baselines3.common.vec_env import DummyVecEnv

    targets = {
        "predict": (SB3DQN, "predict"),
        "forward": (BasePolicy, "predict"),
        "env": (DummyVecEnv, "step_wait"),
        "store": (SB3Buffer, "add"),
        "train": (SB3DQN, "train"),
        "on_step": (SB3DQN, "_on_step"),
    }
    with timed_methods(targets) as t:
        wall = run_sb3(steps)
    rows = [
        ("DQN.predict: ε-greedy choice (random before learning starts)", *t["predict"]),
        ("  of which policy.predict (to tensor, one-hot, forward)", *t["forward"]),
        ("env step (DummyVecEnv, Monitor, gym wrappers, maze)", *t["env"]),
        ("replay buffer add", *t["store"]),
        ("DQN.train: gradient steps (+ logger, train mode)", *t["train"]),
        ("DQN._on_step: target copy, ε schedule", *t["on_step"]),
    ]
    return Breakdown("Stable-Baselines3, 1 agent", steps, wall, _rows(rows, wall))


def gradient_step_phases(reps: int) -> list[tuple[str, float]]:
    """Microseconds per phase of one gradient step of our single-agent DQN.

    Re-enacts ``DQN._gradient_step`` (socialrl/learners/dqn.py) phase by phase on a bound
    learner with a filled buffer, shared network, Huber loss, no Double DQN; the last row is the
    library's own ``_gradient_step`` for comparison (the phases should add up to about it).
    """
    import torch.nn.functional as F

    from socialrl.learners.dqn import dqn_targets

    learner, _, _ = bound_learner(1, shared=True, seed=0)
    c = learner.config
    names = [
        "sample minibatch (numpy)",
        "encode obs + next obs (one-hot), to tensors",
        "target: Q⁻(s') forward, max, r + γ…",
        "online forward Q(s, ·), gather, Huber loss",
        "zero_grad + backward",
        "clip_grad_norm",
        "Adam step",
        "loss to float",
    ]
    spent = [0.0] * len(names)
    for _ in range(reps):
        marks = [time.perf_counter()]
        batch = learner.buffer.sample_pooled(c.batch_size, learner._rng)
        marks.append(time.perf_counter())
        obs = learner._encode_batch(batch.obs)
        next_obs = learner._encode_batch(batch.next_obs)
        actions = torch.as_tensor(batch.actions)
        rewards = torch.as_tensor(batch.reward)
        terminated = torch.as_tensor(batch.terminated)
        marks.append(time.perf_counter())
        with torch.no_grad():
            target = dqn_targets(rewards, terminated, learner.q_target(next_obs), c.gamma)
        marks.append(time.perf_counter())
        q_sa = learner.q(obs).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        loss = F.smooth_l1_loss(q_sa, target, reduction="none").mean()
        marks.append(time.perf_counter())
        learner.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        marks.append(time.perf_counter())
        learner.q.clip_grad_norm(c.max_grad_norm)
        marks.append(time.perf_counter())
        learner.optimizer.step()
        marks.append(time.perf_counter())
        float(loss.detach())
        marks.append(time.perf_counter())
        for k in range(len(names)):
            spent[k] += marks[k + 1] - marks[k]
    rows = [(name, s / reps * 1e6) for name, s in zip(names, spent, strict=True)]
    rows.append(("sum of the phases", sum(s for _, s in rows)))
    whole = time_calls(learner._gradient_step, reps)
    rows.append(("the library's DQN._gradient_step, whole", whole * 1e6))
    return rows


def print_cprofile(run: Callable[[], object], title: str, top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(f"\ncProfile of {title} (by own time):")
    print(out.getvalue())
