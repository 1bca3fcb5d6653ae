"""Benchmark: tree-search simulations per second, 64 games searched at once vs one at a time.

What is measured
    Simulations per second (one select → expand → evaluate → back-up cycle of one tree) of the
    lab's search (:mod:`socialrl.learners.tree_search`) on tic-tac-toe
    (``socialrl_models.board``), from the 64 positions reached after two random moves:

    * **batched**: one ``search`` call grows all 64 trees together — one compiled walk over
      the batch, one rules call and one evaluation per cycle;
    * **one at a time**: 64 ``search`` calls of one tree each, the same code, the way a search
      written for one game is used for many.

    Both with plain MCTS's evaluator (one random play-out per new node) and with AlphaZero's
    (an untrained 128 × 128 policy-value network, one forward pass per cycle). Each figure is
    the best of ``--repeats`` runs (shared, noisy machines); the ratio is of the same run.

Why
    Issue 17's target: searching 64 games at once ≥ 10× the simulations per second of one
    game at a time. Self-play lives on searches, so this sets the pace of AlphaZero's
    training. The script is a report, not a test: it always exits with status 0.

Usage
    ``python bench/bench_search.py`` (about a minute), ``--quick`` for a smoke run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine
from socialrl_models.board.rules import KInARow

from socialrl.games import sample_legal
from socialrl.learners.alphazero import AlphaZero
from socialrl.learners.tree_search import Evaluator, rollout_evaluator, search

GAMES = 64


def openings(rules: KInARow, n: int, seed: int) -> np.ndarray:
    """``n`` positions after two random moves (varied trees, none finished)."""
    rng = np.random.default_rng(seed)
    states = rules.initial(n)
    for _ in range(2):
        states = rules.play(states, sample_legal(rules.legal(states), rng))
    return states


def best_time(fn: Callable[[], None], repeats: int) -> float:
    """The smallest wall time of ``repeats`` calls (after one untimed warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(
    name: str, rules: KInARow, evaluate: Evaluator, score: str, sims: int, repeats: int
) -> float:
    """Print simulations per second both ways; return the ratio."""
    roots = openings(rules, GAMES, seed=0)

    def batched() -> None:
        search(rules, roots, evaluate, sims, score, 1.4)

    def one_at_a_time() -> None:
        for i in range(GAMES):
            search(rules, roots[i : i + 1], evaluate, sims, score, 1.4)

    total = GAMES * sims
    together = total / best_time(batched, repeats)
    alone = total / best_time(one_at_a_time, repeats)
    ratio = together / alone
    print(
        f"{name:<34} batched {together:>10,.0f} sims/s   one at a time {alone:>9,.0f} sims/s"
        f"   ratio {ratio:5.1f}×"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sims = 16 if args.quick else 100
    repeats = 1 if args.quick else args.repeats
    print(f"machine: {machine()}")
    print(f"tic-tac-toe, {GAMES} games, {sims} simulations per move, best of {repeats}")
    rules = KInARow(3, 3, 3)
    mcts = rollout_evaluator(rules, np.random.default_rng(0))
    measure("MCTS (UCT, random play-outs)", rules, mcts, "uct", sims, repeats)
    import gymnasium as gym

    az = AlphaZero(simulations=sims)
    space = gym.spaces.Box(0, 3, shape=(11,), dtype=np.int64)
    az.bind(GAMES, space, gym.spaces.Discrete(9), np.random.SeedSequence(0))
    az.use_rules(rules)
    measure("AlphaZero (PUCT, 128×128 network)", rules, az.evaluate, "puct", sims, repeats)
    print("target: ratio ≥ 10× (issue 17)")


if __name__ == "__main__":
    main()
