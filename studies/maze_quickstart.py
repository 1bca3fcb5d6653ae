"""The quickstart study: how fast do Q-learning walkers learn a maze?

Q-learning walkers (one table each) on three mazes (Sutton & Barto's Dyna maze, the lecture's
maze, and the cliff walk with its −100 traps) × three exploration schedules × 5 seeds,
10 walkers per run. The summary says, per setting, how many episodes the walkers needed before
their greedy policy walked a shortest path (and kept doing so), against the BFS optimum.

Run it with ``make demo`` (or ``python studies/maze_quickstart.py``). Tables are written to
``results/maze_quickstart/`` as Parquet. The `socialrl run` command and TOML studies with
resumable, parallel execution arrive with the study machinery; this script shows the engine
underneath: :func:`socialrl.simulate` in a loop.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.maze import MazeModel  # noqa: E402
from models.maze.analysis import episodes_to_optimal  # noqa: E402
from socialrl import QLearning, simulate  # noqa: E402

LAYOUTS = ["dyna", "lecture", "cliff"]
EPSILONS = {
    "constant 0.1": 0.1,
    "linear 1→0.05": {"kind": "linear", "start": 1.0, "end": 0.05, "steps": 3_000},
    "exp(−1e-3 t)": {"kind": "exponential", "beta": 1e-3, "floor": 0.01},
}
SEEDS = range(5)
WALKERS, STEPS, SNAPSHOT_EVERY = 10, 8_000, 250


def run_all() -> tuple[pd.DataFrame, pd.DataFrame]:
    learned, episodes = [], []
    for layout, (eps_name, eps), seed in itertools.product(LAYOUTS, EPSILONS.items(), SEEDS):
        params = {"layout": layout, "n_walkers": WALKERS, "max_episode_steps": 500}
        res = simulate(
            "maze",
            params,
            {"walker": QLearning(alpha=0.5, gamma=0.95, epsilon=eps)},
            steps=STEPS,
            seed=seed,
            record_every=STEPS,
            snapshot_every=SNAPSHOT_EVERY,
        )
        tag = {"layout": layout, "epsilon": eps_name, "seed": seed}
        learned.append(episodes_to_optimal(res.agents).assign(**tag))
        episodes.append(res.episodes.assign(**tag))
    return pd.concat(learned, ignore_index=True), pd.concat(episodes, ignore_index=True)


def summarize(learned: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    optimum = {name: MazeModel(name).optimal_path_length for name in LAYOUTS}
    last = episodes.sort_values("end_step").groupby(["layout", "epsilon", "seed", "agent"]).tail(20)
    table = learned.groupby(["layout", "epsilon"]).agg(
        walkers=("agent", "size"),
        learned_share=("learned", "mean"),
        episodes_to_optimal_mean=("episodes", "mean"),
        episodes_to_optimal_sd=("episodes", "std"),
    )
    table["final_episode_length"] = last.groupby(["layout", "epsilon"])["length"].mean()
    table.insert(0, "shortest_path", [optimum[layout] for layout, _ in table.index])
    return table.round(2)


def main() -> None:
    started = time.perf_counter()
    learned, episodes = run_all()
    out = ROOT / "results" / "maze_quickstart"
    out.mkdir(parents=True, exist_ok=True)
    learned.to_parquet(out / "learned.parquet", index=False)
    episodes.to_parquet(out / "episodes.parquet", index=False)
    summary = summarize(learned, episodes)
    summary.to_csv(out / "summary.csv")
    runs = len(LAYOUTS) * len(EPSILONS) * len(SEEDS)
    print(
        f"maze quickstart: {runs} runs × {WALKERS} walkers × {STEPS:,} steps "
        f"in {time.perf_counter() - started:.1f} s — tables in {out.relative_to(ROOT)}/\n"
    )
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(summary.to_string())
    print(
        "\nepisodes_to_optimal: episodes a walker had finished when its greedy path from the start"
        "\nbecame a shortest path for good (mean and s.d. over walkers and seeds); learned_share:"
        "\nwalkers that got there; final_episode_length: moves per episode over the last 20"
        "\nepisodes, exploration included."
    )


if __name__ == "__main__":
    main()
