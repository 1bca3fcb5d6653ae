"""Benchmark: a round robin of classic strategies, batched (socialrl) against the axelrod library.

What is measured
    The wall time of one whole round robin — 12 classic strategies (the 10 deterministic ones
    of ``socialrl.tournament.strategies`` plus Random(0.5) and GTFT), every pair including
    self-play, 200 turns, 10 repetitions: 78 pairs × 10 = 780 matches, 156,000 turns — along
    two paths that compute the same tables:

    * **socialrl**: ``round_robin`` plays all 780 matches as one batch (one call per player and
      turn over all its seats) and builds the tidy tables (scores, ranking, payoff matrix).
    * **axelrod**: ``axelrod.Tournament(...).play(processes=None)``: one ``Match`` per pair, a
      Python call per player and turn, then its ``ResultSet`` (built with dask from the
      interactions file). Its *play only* figure is ``build_results=False`` (matches, no
      tables). Deterministic matches come from the library's cache after the first
      repetition; with noise every turn is played.

    Each path is timed with and without noise (5%). socialrl is the best of 3 runs, axelrod of
    2 (shared machines are noisy); the ratio is of figures measured in the same run.

Why
    Tournaments are where many short games are played: a Moran process or a sweep over noise
    replays them often. The batched path should make a whole tournament cost about as much as
    one match does in a per-match loop.

Usage
    ``python bench/bench_tournament.py`` (about a minute, most of it axelrod's import and
    play), ``--quick`` for a smoke run (30 turns, 2 repetitions).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from socialrl.tournament import TournamentSettings, make_strategy, round_robin  # noqa: E402

NAMES = (
    "Cooperator",
    "Defector",
    "TitForTat",
    "SuspiciousTitForTat",
    "TitFor2Tats",
    "TwoTitsForTat",
    "Grudger",
    "WinStayLoseShift",
    "Alternator",
    "GoByMajority",
    "Random",
    "GTFT",
)


def best_of(runs: int, call: Callable[[], object]) -> float:
    """The fastest of ``runs`` calls, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def library_players() -> list[object]:
    import axelrod as axl

    return [
        axl.Cooperator(),
        axl.Defector(),
        axl.TitForTat(),
        axl.SuspiciousTitForTat(),
        axl.TitFor2Tats(),
        axl.TwoTitsForTat(),
        axl.Grudger(),
        axl.WinStayLoseShift(),
        axl.Alternator(),
        axl.GoByMajority(),
        axl.Random(0.5),
        axl.GTFT(),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 turns, 2 repetitions")
    args = parser.parse_args()
    turns, reps = (30, 2) if args.quick else (200, 10)
    import axelrod as axl  # slow to import (it builds its strategy lists): not timed

    warnings.filterwarnings("ignore")
    players = [make_strategy(n) for n in NAMES]
    matches = len(NAMES) * (len(NAMES) + 1) // 2 * reps
    print(f"machine: {machine()}")
    print(
        f"round robin: {len(NAMES)} strategies, {matches:,} matches of {turns} turns "
        f"({matches * turns:,} turns)"
    )
    for noise in (0.0, 0.05):
        settings = TournamentSettings(turns=turns, repetitions=reps, noise=noise)
        ours = best_of(3, lambda s=settings: round_robin(players, s, seed=1))

        def library(build: bool, noise: float = noise) -> object:
            tournament = axl.Tournament(
                library_players(), turns=turns, repetitions=reps, noise=noise, seed=1
            )
            return tournament.play(progress_bar=False, build_results=build)

        theirs = best_of(2, lambda: library(True))
        play_only = best_of(2, lambda: library(False))
        print(
            f"noise {noise:.2f}: socialrl {ours * 1e3:8.1f} ms | axelrod {theirs * 1e3:8.1f} ms "
            f"(play only {play_only * 1e3:8.1f} ms) | ratio {theirs / ours:6.1f}× "
            f"(play only {play_only / ours:6.1f}×)"
        )


if __name__ == "__main__":
    main()
