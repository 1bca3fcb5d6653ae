"""The maze-learning study written in Python: the twin of ``maze_learning.toml``.

A Python study is a file that defines ``study``; it can compute its sweep (here, the layouts
come from the registry of built-in mazes) where TOML would list it. Run it the same way:
``socialrl run studies/maze_learning.py``.
"""

from socialrl.study import GroupSpec, ModelSpec, RunSettings, StudySpec, SweepSpec

EPSILON_SCHEDULES = [
    0.1,
    {"kind": "linear", "start": 1.0, "end": 0.05, "steps": 3000},
    {"kind": "exponential", "beta": 1e-3, "floor": 0.01},
]

study = StudySpec(
    name="maze_learning",
    description="Episodes Q-learning walkers need before their greedy path is a shortest path.",
    seed=2024,
    replications=20,
    model=ModelSpec(name="maze", params={"n_walkers": 10, "max_episode_steps": 500}),
    population=[
        GroupSpec(role="walker", learner="q_learning", params={"alpha": 0.5, "gamma": 0.95})
    ],
    sweep=SweepSpec(
        grid={
            "model.layout": ["dyna", "lecture", "cliff"],
            "population.walker.epsilon": EPSILON_SCHEDULES,
        }
    ),
    run=RunSettings(steps=6000, record_every=500, snapshot_every=250),
)
