"""Benchmark: DQN speed — one agent against Stable-Baselines3, and populations of DQN agents.

What is measured
    Everything runs in one process, on one environment and with one set of hyperparameters:
    the maze (layout ``lecture``: 27 open cells, so a one-hot observation of 27 numbers, and
    4 moves; −1 per move; episodes truncated after 100 moves), an MLP ``[64, 64]``, Adam with
    learning rate 1e-3, γ 0.99, Huber loss, gradient clipping at norm 10, a replay buffer of
    50,000 steps, minibatches of 32, one gradient step every 4 steps after 1,000 warm-up steps,
    a hard target update every 1,000 steps, ε linear from 1 to 0.05 over the first 10% of the
    run, all on the CPU (``torch.set_num_threads(1)``: small networks are faster
    single-threaded).

    (a) **one agent**: ``socialrl.simulate("maze", {..., "n_walkers": 1}, {"walker": DQN(...)})``
        against Stable-Baselines3 (``DQN("MlpPolicy", gym.make("socialrl/Maze-v0", ...))`` and
        ``.learn``). Both are timed end to end: building the environment, the networks and the
        buffer, then every step (acting, stepping, storing, training). Stable-Baselines3 one-hot
        encodes a ``Discrete`` observation, as our encoder does, so both train the same
        network on the same inputs. One difference of algorithm remains: during its
        ``learning_starts`` steps Stable-Baselines3 acts uniformly at random without a forward
        pass, while ours acts ε-greedily all along (with ε = 1 → 0.05 over those same first
        1,000 steps, about 500 extra forward passes in 10,000 steps, against us). Figure:
        environment steps per second.
    (b) **64 agents sharing one network**: the same run with ``n_walkers=64`` and ``shared=True``:
        one forward pass chooses all 64 actions each step and one gradient step (a minibatch of
        32 drawn from everyone's experience) follows every 4 steps — the same hyperparameters.
        Figure: agent-steps per second, against (a)'s single-agent figure.
    (c) **64 independent networks**: Q-values for 64 agents with one network each, from
        ``NetworkPopulation(..., shared=False)`` (parameters stacked, evaluated together with
        ``torch.func.vmap``) against a Python loop over 64 separate ``nn.Module`` of the same
        architecture; for one observation per agent (acting) and a minibatch of 32 per agent
        (training), without gradients. A third row evaluates the same stacked parameters with
        three ``torch.baddbmm`` calls: not a library path, a reference for what the stacked
        layout allows. Figure: forward passes (all 64 networks) per second.
    (d) **a training iteration of 64 independent networks** (no target): one ``act`` and one
        ``learn`` that stores the step and makes one gradient step, for ``DQN(shared=False)``
        bound to 64 agents against a loop over 64 single-agent ``DQN`` learners.

Why
    The issue's targets: (a) ours ≥ 2× Stable-Baselines3's environment steps/s; (b) ≥ 50× the
    single-agent agent-steps/s; (c) ≥ 10× the loop. Each measurement is repeated and the best
    (fastest) kept, with the two sides of a comparison interleaved, because shared machines are
    noisy; one small untimed run of each path first pays one-off costs (lazy imports, first
    calls). Where (a) or (b) misses, the script breaks the time of one step down by part (act,
    env step, store, gradient step, recording, …) on both sides, measured by wrapping those
    methods with timers in an extra run (``--profile`` adds a cProfile of our single-agent run).
    The script is a report, not a test: it always exits with status 0.

Usage
    ``python bench/bench_dqn.py`` (a few minutes), ``--quick`` for a smoke run of a few seconds,
    ``--profile`` for cProfile summaries.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import platform
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
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

import stable_baselines3  # noqa: E402
from socialrl_models.maze import MazeModel  # noqa: E402
from stable_baselines3 import DQN as SB3DQN  # noqa: E402
from torch import nn  # noqa: E402

import socialrl  # noqa: E402
from socialrl.envs.batched import MultiAgentEnv  # noqa: E402
from socialrl.learners.dqn import DQN  # noqa: E402
from socialrl.learners.networks import NetworkPopulation, encoder_for, make_network  # noqa: E402
from socialrl.mesa_compat import release_model  # noqa: E402
from socialrl.simulate import _Recorder  # noqa: E402  (timed in the breakdown only)

LAYOUT = "lecture"  # the maze's default layout: 27 open cells, 4 moves
MAX_EPISODE_STEPS = 100
N_AGENTS = 64

TARGET_SB3 = 2.0  # (a) ours ≥ 2× Stable-Baselines3's env steps/s
TARGET_SHARED = 50.0  # (b) 64 agents sharing a network ≥ 50× single-agent agent-steps/s
TARGET_VMAP = 10.0  # (c) 64 networks evaluated together ≥ 10× a Python loop over them


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


# ---------------------------------------------------------------------------- (a), (b): runs
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


# ---------------------------------------------------------------------------- breakdown
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


LABEL = 58  # width of the component column


def _rows(rows: list[tuple[str, float, float]], wall: float) -> list[tuple[str, float, int]]:
    accounted = sum(seconds for label, seconds, _ in rows if not label.startswith("  "))
    out = [(label, float(seconds), int(calls)) for label, seconds, calls in rows]
    out.append(("rest (the loop itself, building, final tables)", wall - accounted, 0))
    return out


def breakdown_ours(steps: int, n_walkers: int = 1) -> Breakdown:
    """Our run with its parts timed: act (forward), env step, learn (store + gradient steps)…"""
    targets = {
        "act": (DQN, "act"),
        "forward": (DQN, "q_values"),
        "env": (MultiAgentEnv, "step"),
        "learn": (DQN, "learn"),
        "grad": (DQN, "_gradient_step"),
        "record": (_Recorder, "after_step"),
    }
    with timed_methods(targets) as t:
        wall = run_ours(steps, n_walkers)
    learn, grad = t["learn"], t["grad"]
    rows = [
        ("act: ε-greedy choice", *t["act"]),
        ("  of which q_values (encode + forward pass)", *t["forward"]),
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
        obs = learner._encode_batch(batch["obs"])
        next_obs = learner._encode_batch(batch["next_obs"])
        actions = torch.as_tensor(batch["actions"])
        rewards = torch.as_tensor(batch["rewards"])
        terminated = torch.as_tensor(batch["terminated"])
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


# ---------------------------------------------------------------------------- (c), (d)
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


def stacked_bmm(pop: NetworkPopulation) -> Callable[[torch.Tensor], torch.Tensor]:
    """The same stacked MLP as three ``baddbmm`` calls (reference; assumes the MLP layout)."""
    layers = []
    if "w0" in pop.stacked:  # the library already stores [n, in, out] weights
        depth = sum(1 for k in pop.stacked if k.startswith("w"))
        for i in range(depth):
            layers.append((pop.stacked[f"w{i}"].detach(), pop.stacked[f"b{i}"].detach()))
    names = [k for k in pop.stacked if k.endswith("weight")]
    for wname in names:
        w = pop.stacked[wname].detach()
        b = pop.stacked[wname[: -len("weight")] + "bias"].detach()
        layers.append((w.transpose(1, 2).contiguous(), b.unsqueeze(1)))

    def forward(x: torch.Tensor) -> torch.Tensor:
        h = x
        for k, (wt, b) in enumerate(layers):
            h = torch.baddbmm(b, h, wt)
            if k < len(layers) - 1:
                h = torch.relu(h)
        return h

    return forward


def time_calls(fn: Callable[[], object], reps: int) -> float:
    """Seconds per call (one pass of ``reps`` calls)."""
    started = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - started) / reps


@dataclass(frozen=True)
class ForwardRow:
    batch: int
    vmap_s: float
    loop_s: float
    bmm_s: float


def bench_forward(plan: Plan) -> list[ForwardRow]:
    pop, loose, n_obs = build_networks(N_AGENTS)
    bmm = stacked_bmm(pop)
    rng = np.random.default_rng(0)
    eye = torch.eye(n_obs)
    rows = []
    with torch.no_grad():
        for batch in (1, HYPER.batch_size):
            x = eye[torch.as_tensor(rng.integers(n_obs, size=(N_AGENTS, batch)))]
            if batch == 1:
                x1 = x[:, 0]

                def vmapped(x1: torch.Tensor = x1) -> object:
                    return pop.per_agent(x1)

                def loop(x1: torch.Tensor = x1) -> object:
                    return [net(x1[i : i + 1]) for i, net in enumerate(loose)]
            else:

                def vmapped(x: torch.Tensor = x) -> object:
                    return pop(x)

                def loop(x: torch.Tensor = x) -> object:
                    return [net(x[i]) for i, net in enumerate(loose)]

            def reference(x: torch.Tensor = x) -> object:
                return bmm(x)

            if not torch.allclose(bmm(x), pop(x), atol=1e-5):
                print("  WARNING: the baddbmm reference disagrees with NetworkPopulation")
            for fn in (vmapped, loop, reference):
                fn()  # first call
            best = {"vmap": float("inf"), "loop": float("inf"), "bmm": float("inf")}
            for _ in range(max(plan.repeats, 2)):
                best["vmap"] = min(best["vmap"], time_calls(vmapped, plan.forward_reps))
                best["loop"] = min(best["loop"], time_calls(loop, plan.loop_forward_reps))
                best["bmm"] = min(best["bmm"], time_calls(reference, plan.forward_reps))
            rows.append(ForwardRow(batch, best["vmap"], best["loop"], best["bmm"]))
    return rows


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
    for _ in range(2 * HYPER.batch_size):
        learner.buffer.add(
            rng.integers(n_obs, size=n_agents),
            rng.integers(n_actions, size=n_agents),
            -np.ones(n_agents),
            rng.integers(n_obs, size=n_agents),
            np.zeros(n_agents, bool),
        )
    return learner, n_obs, n_actions


def bench_training(plan: Plan) -> tuple[float, float]:
    """Seconds per iteration (act + learn with one gradient step) for 64 independent networks
    stacked in one learner, and for a loop over 64 single-agent learners."""
    together, n_obs, n_actions = bound_learner(N_AGENTS, shared=False, seed=0)
    singles = [bound_learner(1, shared=True, seed=1 + i)[0] for i in range(N_AGENTS)]
    rng = np.random.default_rng(0)
    obs = rng.integers(n_obs, size=N_AGENTS)
    actions = rng.integers(n_actions, size=N_AGENTS)
    reward = -np.ones(N_AGENTS)
    nxt = rng.integers(n_obs, size=N_AGENTS)
    term = np.zeros(N_AGENTS, dtype=bool)

    def stacked() -> None:
        together.act(obs)
        together.learn(obs, actions, reward, nxt, term)

    def loop() -> None:
        for i, learner in enumerate(singles):
            s = slice(i, i + 1)
            learner.act(obs[s])
            learner.learn(obs[s], actions[s], reward[s], nxt[s], term[s])

    stacked()
    loop()
    best_stacked = best_loop = float("inf")
    for _ in range(max(plan.repeats, 2)):
        best_stacked = min(best_stacked, time_calls(stacked, plan.train_reps))
        best_loop = min(best_loop, time_calls(loop, plan.loop_train_reps))
    return best_stacked, best_loop


# ---------------------------------------------------------------------------- report
def machine() -> str:
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
    return f"{name or platform.machine()}, {os.cpu_count()} logical CPUs{load}"


def print_header(plan: Plan) -> None:
    print("socialrl DQN benchmark: one agent vs Stable-Baselines3, populations of DQN agents")
    print(
        f"python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread), stable-baselines3 {stable_baselines3.__version__}, "
        f"gymnasium {gym.__version__}, numpy {np.__version__}, socialrl {socialrl.__version__}"
    )
    print(f"machine: {machine()}")
    h = HYPER
    print(
        f"maze {LAYOUT!r}, −1 per step, episodes ≤ {MAX_EPISODE_STEPS} steps; MLP "
        f"{list(h.hidden)}, lr {h.lr}, γ {h.gamma}, buffer {h.buffer_size:,}, batch "
        f"{h.batch_size}, learning starts {h.learning_starts:,}, train every {h.train_every}, "
        f"{h.gradient_steps} gradient step, target every {h.target_update_interval:,}, ε "
        f"{h.epsilon_start}→{h.epsilon_end} over {h.exploration_fraction:.0%} of the run, "
        f"Huber loss, clip {h.max_grad_norm}, cpu"
    )
    print(f"best of {plan.repeats} run(s), sides interleaved; runs timed end to end")
    if plan is QUICK:
        print("--quick: short runs, mostly warm-up steps; a smoke test, not a measurement")
    print()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="DQN: socialrl vs Stable-Baselines3")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--profile", action="store_true", help="add cProfile summaries")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    print_header(plan)
    warm_up()

    # (a) and (b)
    s1, s64 = plan.single_steps, plan.shared_steps
    best = interleaved_best(
        {
            "ours": lambda: run_ours(s1),
            "sb3": lambda: run_sb3(s1),
            "shared": lambda: run_ours(s64, n_walkers=N_AGENTS, shared=True),
        },
        plan.repeats,
    )
    ours_rate, sb3_rate = s1 / best["ours"], s1 / best["sb3"]
    shared_rate = N_AGENTS * s64 / best["shared"]
    head = f"{'run':<48} | {'steps':>7} | {'seconds':>7} | {'agent-steps/s':>13} | {'ratio':>22}"
    print(head)
    print("-" * len(head))
    print(
        f"{'(a) Stable-Baselines3 DQN, 1 agent':<48} | {s1:>7,} | {best['sb3']:>7.2f} | "
        f"{sb3_rate:>13,.0f} | {'1.0x':>22}"
    )
    print(
        f"{'(a) socialrl DQN, 1 agent':<48} | {s1:>7,} | {best['ours']:>7.2f} | "
        f"{ours_rate:>13,.0f} | {ours_rate / sb3_rate:>17.2f}x SB3"
    )
    print(
        f"{'(b) socialrl DQN, 64 agents, one shared network':<48} | {s64:>7,} | "
        f"{best['shared']:>7.2f} | {shared_rate:>13,.0f} | "
        f"{shared_rate / ours_rate:>13.1f}x ours-1"
    )
    print()

    # (c) and (d)
    forward = bench_forward(plan)
    head = (
        f"{'(c) Q-values of 64 independent networks':<44} | {'vmap (lib)':>10} | "
        f"{'loop of 64':>10} | {'ratio':>6} | {'baddbmm ref':>11} | {'ref/vmap':>8}"
    )
    print(head)
    print("-" * len(head))
    for row in forward:
        what = (
            "1 observation per agent (acting)"
            if row.batch == 1
            else (f"minibatch of {row.batch} per agent (training)")
        )
        print(
            f"{what:<44} | {1 / row.vmap_s:>8,.0f}/s | {1 / row.loop_s:>8,.0f}/s | "
            f"{row.loop_s / row.vmap_s:>5.1f}x | {1 / row.bmm_s:>9,.0f}/s | "
            f"{row.vmap_s / row.bmm_s:>7.1f}x"
        )
    stacked_s, loop_s = bench_training(plan)
    print(
        f"{'(d) act + learn (1 gradient step), 64 nets':<44} | {1 / stacked_s:>8,.1f}/s | "
        f"{1 / loop_s:>8,.1f}/s | {loop_s / stacked_s:>5.1f}x |"
    )
    print()

    # targets
    ratio_a = ours_rate / sb3_rate
    ratio_b = shared_rate / ours_rate
    ratios_c = {row.batch: row.loop_s / row.vmap_s for row in forward}
    print("targets:")
    print(
        f"  (a) 1 agent ≥ {TARGET_SB3:.0f}x Stable-Baselines3 env steps/s: {ratio_a:.2f}x -> "
        f"{verdict(ratio_a >= TARGET_SB3)}"
    )
    print(
        f"  (b) 64 agents, shared network ≥ {TARGET_SHARED:.0f}x single-agent agent-steps/s: "
        f"{ratio_b:.1f}x -> {verdict(ratio_b >= TARGET_SHARED)}"
    )
    for batch, ratio in ratios_c.items():
        print(
            f"  (c) 64 networks together ≥ {TARGET_VMAP:.0f}x a Python loop, batch {batch}: "
            f"{ratio:.1f}x -> {verdict(ratio >= TARGET_VMAP)}"
        )
    print(f"  (d) no target: 64 networks stacked vs loop, act + learn: {loop_s / stacked_s:.1f}x")

    # where the time goes (full runs: whenever a target is missed; --profile: always)
    explain = args.profile or not args.quick
    if explain and (ratio_a < TARGET_SB3 or args.profile):
        print("\n(a) where the time of one step goes (an extra run of each with its parts timed):")
        breakdown_ours(s1).print()
        breakdown_sb3(s1).print()
        print("  phases of one gradient step of ours (µs per gradient step):")
        for name, us in gradient_step_phases(plan.train_reps * 5):
            print(f"    {name:<{LABEL}} | {us:>8,.0f}")
    if explain and (ratio_b < TARGET_SHARED or args.profile):
        print("\n(b) where the time of one step goes:")
        breakdown_ours(s64, N_AGENTS).print()
    if args.profile:
        print_cprofile(lambda: run_ours(s1), f"ours, 1 agent, {s1:,} steps")
        pop, _, n_obs = build_networks(N_AGENTS)
        x = torch.eye(n_obs)[torch.zeros(N_AGENTS, HYPER.batch_size, dtype=torch.long)]

        def vmapped() -> None:
            with torch.no_grad():
                for _ in range(plan.forward_reps):
                    pop(x)

        print_cprofile(vmapped, f"NetworkPopulation forward x{plan.forward_reps}, batch 32")
    print(f"\nbenchmark time: {time.perf_counter() - started:.0f} s (after imports)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
