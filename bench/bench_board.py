"""Benchmark: the k-in-a-row rules on batches of positions, and the exact solver's queries.

What is measured
    * **rules**: one ``play`` + ``legal`` + ``terminal`` call on 4,096 positions at once — live
      positions drawn from random games, each with a random legal move — in µs per call and
      ns per position, for tic-tac-toe (3 × 3, k 3) and Connect Four on 4 rows × 5 columns
      (gravity). The same-run baseline is the same three calls made one position at a time
      (4,096 calls of batch 1): what a tree search pays when it does not batch. Where
      OpenSpiel is installed, its C++ game states do the same work per position through
      Python (``clone``, ``apply_action``, ``legal_actions``, ``is_terminal``) as a second
      reference.
    * **solver**: the first full solution (the compiled search and its table fill, Numba's
      compilation excluded by a warm-up on another game) and then the optimal moves of every
      live tic-tac-toe position (4,520) again, as queries per second.

Why
    Tree search (MCTS, AlphaZero) calls the rules on thousands of positions per second; the
    issue asks that they be vectorised. The perfect player asks the solver for every move of
    every game it plays.

Usage
    ``python bench/bench_board.py`` (about ten seconds); each timing is the best of 5.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from machine import machine  # noqa: E402
from socialrl_models.board import KInARow, Solver, reachable_positions  # noqa: E402

from socialrl.games import sample_legal  # noqa: E402

BATCH = 4_096
REPEATS = 5


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def live_positions(
    rules: KInARow, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` live positions met in random games, a random legal move for each, and the
    moves that led there (``[count, cells]``, −1 after the last)."""
    rng = np.random.default_rng(seed)
    games = 2 * count
    states = rules.initial(games)
    history = np.full((games, rules.cells), -1, dtype=np.int64)
    stop = rng.integers(0, rules.cells - 1, size=games)  # stop each game at a random ply
    for ply in range(rules.cells - 1):
        going = np.flatnonzero((stop > ply) & ~rules.terminal(states))
        moves = sample_legal(rules.legal(states[going]), rng)
        states[going] = rules.play(states[going], moves)
        history[going, ply] = moves
    live = np.flatnonzero(~rules.terminal(states))[:count]
    assert live.size == count, "too few live positions: draw more games"
    return states[live], sample_legal(rules.legal(states[live]), rng), history[live]


def step_all(rules: KInARow, states: np.ndarray, moves: np.ndarray) -> None:
    """What one ply of a search asks: the children, their legal moves, whether they ended."""
    after = rules.play(states, moves)
    rules.legal(after)
    rules.terminal(after)


def one_at_a_time(rules: KInARow, states: np.ndarray, moves: np.ndarray) -> None:
    for i in range(states.shape[0]):
        step_all(rules, states[i : i + 1], moves[i : i + 1])


def openspiel_seconds(
    name: str, states: np.ndarray, moves: np.ndarray, history: np.ndarray
) -> float:
    """The same work on OpenSpiel's states (replayed from the moves), or NaN without it."""
    try:
        import pyspiel
    except ImportError:
        return float("nan")
    game = pyspiel.load_game(name)
    built = []
    for past, move in zip(history[:512], moves[:512], strict=True):
        spiel = game.new_initial_state()
        for action in past[past >= 0]:
            spiel.apply_action(int(action))
        built.append((spiel, int(move)))

    def run() -> None:
        for spiel, move in built:
            child = spiel.clone()
            child.apply_action(move)
            child.legal_actions()
            child.is_terminal()

    return best_of(run) * states.shape[0] / len(built)


def rules_report(name: str, spiel: str, rules: KInARow) -> None:
    states, moves, history = live_positions(rules, BATCH, seed=0)
    step_all(rules, states, moves)  # warm-up
    batched = best_of(lambda: step_all(rules, states, moves))
    single = best_of(lambda: one_at_a_time(rules, states, moves), repeats=2)
    reference = openspiel_seconds(spiel, states, moves, history)
    print(f"{name}: play + legal + terminal on {BATCH:,} positions")
    for label, seconds in [("batched:      ", batched), ("one at a time:", single)]:
        per = seconds / BATCH * 1e9
        print(f"  {label} {seconds * 1e6:9.0f} µs for the batch, {per:7.0f} ns per position")
    print(f"  batched / one at a time: {single / batched:.1f}× faster")
    if np.isfinite(reference):
        print(
            f"  OpenSpiel:     {reference * 1e6:9.0f} µs for the batch, "
            f"{reference / BATCH * 1e9:7.0f} ns per position ({reference / batched:.1f}× batched)"
        )


def solver_report() -> None:
    Solver(KInARow(3, 4, 3)).scores(KInARow(3, 4, 3).initial(1))  # compile (or load) the search
    rules = KInARow(3, 3, 3)
    positions = reachable_positions(rules)
    live = positions[~rules.terminal(positions)]
    solver = Solver(rules)
    start = time.perf_counter()
    solver.optimal_moves(live)
    first = time.perf_counter() - start
    again = best_of(lambda: solver.optimal_moves(live))
    print(f"solver, tic-tac-toe: optimal moves of all {len(live):,} live positions")
    print(f"  first (the table fills): {first * 1e3:7.1f} ms")
    rate = len(live) / again
    print(f"  again:                   {again * 1e3:7.1f} ms = {rate:,.0f} positions a second")
    for params in [(4, 4, 4, False), (4, 5, 4, True), (5, 4, 4, True)]:
        board = KInARow(*params)
        seconds = best_of(lambda b=board: Solver(b).scores(b.initial(1)), repeats=1)  # type: ignore[misc]
        print(f"  value of the empty {board!r}: {seconds:.2f} s from an empty table")


def main() -> int:
    print("socialrl board benchmark: batched k-in-a-row rules and the exact solver")
    print(f"machine: {machine()}")
    rules_report("tic-tac-toe", "tic_tac_toe", KInARow(3, 3, 3))
    rules_report("Connect Four 4 × 5", "connect_four(rows=4,columns=5)", KInARow(4, 5, 4, True))
    solver_report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
