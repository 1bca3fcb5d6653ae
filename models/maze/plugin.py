"""The maze, as the engine and the app know it (see :mod:`socialrl.plugins`)."""

from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="maze",
    model="socialrl_models.maze.model:MazeModel",
    description="Walkers learning their way to a goal in a grid maze (the lecture's example)",
    env_ids={"socialrl/Maze-v0": "socialrl_models.maze.env:MazeEnv"},
    summary="socialrl_models.maze.summary:study_summary",
    view="socialrl_models.maze.view",
    presets={"layout": "dyna", "n_walkers": 4, "max_episode_steps": 200},
    # 10,000 steps: every walker's greedy path is the shortest one for ε 0.05 and 0.2 at seeds
    # 0-3 (tests/test_app.py checks the Run page's default launch learns it).
    preset_steps=10_000,
    bounds={"mean_distance_to_goal": (0, None), "walkers_active": (0, None)},
    learner_presets={
        "q_learning": {"alpha": 0.5, "gamma": 0.95},
        "dyna_q": {"alpha": 0.5, "gamma": 0.95, "planning_steps": 10},
    },
    headline=("episodes", "length"),
    glossary={
        "shortest_path": "length of the shortest path from start to goal (BFS on the layout)",
        "episodes_mean": (
            "episodes a walker needed until its greedy path was a shortest path for good; "
            "mean across runs of each run's mean over its walkers that got there"
        ),
        "episodes_sd": "standard deviation of those per-run means",
        "learned_share": (
            "share of walkers whose greedy path became a shortest path and stayed one until the end"
        ),
    },
)
