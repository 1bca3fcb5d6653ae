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


def textbook_step(learner: DQN) -> Callable[[], None]:
    """The textbook gradient step on a copy of ``learner``'s network: what the library did
    before its written-out path (and what Stable-Baselines3 does).

    The same minibatches (a copy of the learner's buffer and generator) and targets, one-hot
    encoded (an ``nn.Linear`` reads vectors; the library looks the states up);
    then the forward pass with autograd, the Huber loss, ``loss.backward()``,
    ``clip_grad_norm_`` and ``torch.optim.Adam(fused=True)`` over the network's six tensors.
    Shared network only.
    """
    import copy

    import numpy as np
    import torch.nn.functional as F

    from socialrl.learners.dqn import dqn_targets

    c = learner.config
    net, target_net = copy.deepcopy(learner.q.net), copy.deepcopy(learner.q_target.net)
    for p in net.parameters():  # plain parameters, not views of the learner's flat buffer
        p.data = p.data.clone()
    optimizer = torch.optim.Adam(net.parameters(), lr=c.lr, fused=True)
    rng = np.random.default_rng()
    rng.bit_generator.state = learner._rng.bit_generator.state

    def step() -> None:
        batch = learner.buffer.sample_pooled(c.batch_size, rng)
        obs, next_obs = learner.encoder(np.stack((batch.obs, batch.next_obs)))  # one-hot
        actions = torch.as_tensor(batch.actions)
        with torch.no_grad():
            target = dqn_targets(
                torch.as_tensor(batch.reward),
                torch.as_tensor(batch.terminated),
                target_net(next_obs),
                c.gamma,
            )
        q_sa = net(obs).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        loss = F.smooth_l1_loss(q_sa, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), c.max_grad_norm or float("inf"))
        optimizer.step()

    return step


def gradient_step_phases(reps: int) -> list[tuple[str, float]]:
    """Microseconds per phase of one gradient step of our single-agent DQN, and the textbook's.

    Re-enacts ``DQN._gradient_step`` (socialrl/learners/dqn.py) phase by phase on a bound
    learner with a filled buffer, shared MLP, Huber loss, no Double DQN; then the library's own
    ``_gradient_step``, whole (the phases should add up to about it), and the textbook step of
    :func:`textbook_step` on a copy of the same network, whole, the two interleaved.
    """
    import numpy as np

    from socialrl.learners.dense_backprop import backward, forward
    from socialrl.learners.dqn import dqn_targets, td_loss_gradient
    from socialrl.learners.fast_adam import clip_rows_, fast_adam_step

    learner, _, _ = bound_learner(1, shared=True, seed=0)
    c, adam = learner.config, learner.optimizer
    layers, target_layers = learner._layers, learner._target_layers
    assert layers is not None and target_layers is not None  # an MLP
    names = [
        "sample minibatch (numpy)",
        "obs + next obs to tensors (states: looked up)",
        "target: Q⁻(s') forward, max, r + γ…",
        "online forward Q(s, ·), TD errors, ∂L/∂Q (Huber)",
        "backward, written out (dense_backprop)",
        "clipping, flat buffer",
        "Adam, fused, flat buffer",
    ]
    spent = [0.0] * len(names)
    for _ in range(reps):
        marks = [time.perf_counter()]
        batch = learner.buffer.sample_pooled(c.batch_size, learner._rng)
        marks.append(time.perf_counter())
        obs, next_obs = learner._encode(np.stack((batch.obs, batch.next_obs)))
        actions = torch.as_tensor(batch.actions.reshape(1, -1, 1))
        rewards = torch.as_tensor(batch.reward.reshape(1, -1))
        terminated = torch.as_tensor(batch.terminated.reshape(1, -1))
        marks.append(time.perf_counter())
        target = dqn_targets(rewards, terminated, forward(target_layers, next_obs)[-1], c.gamma)
        marks.append(time.perf_counter())
        acts = forward(layers, obs)
        errors = acts[-1].gather(-1, actions).squeeze(-1).sub_(target)
        d_q = torch.zeros_like(acts[-1])
        d_q.scatter_(-1, actions, td_loss_gradient(errors, 1.0 / c.batch_size, c.loss)[..., None])
        marks.append(time.perf_counter())
        backward(layers, acts, d_q)
        marks.append(time.perf_counter())
        clip_rows_(adam.grads, c.max_grad_norm or float("inf"))
        marks.append(time.perf_counter())
        s = adam.settings
        fast_adam_step(adam.flat.values, adam.grads, adam.moments, lr=s.lr, betas=s.betas)
        marks.append(time.perf_counter())
        for k in range(len(names)):
            spent[k] += marks[k + 1] - marks[k]
    rows = [(name, s / reps * 1e6) for name, s in zip(names, spent, strict=True)]
    rows.append(("sum of the phases", sum(s for _, s in rows)))
    textbook = textbook_step(learner)
    whole = {"ours": float("inf"), "textbook": float("inf")}
    for _ in range(3):
        whole["ours"] = min(whole["ours"], time_calls(learner._gradient_step, reps))
        whole["textbook"] = min(whole["textbook"], time_calls(textbook, reps))
    rows.append(("the library's DQN._gradient_step, whole", whole["ours"] * 1e6))
    rows.append(
        ("textbook: autograd, clip_grad_norm_, Adam(fused), whole", whole["textbook"] * 1e6)
    )
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
