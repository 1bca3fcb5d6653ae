"""k-in-a-row board games, as the engine and the app know them (:mod:`socialrl.plugins`)."""

from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="board",
    model="socialrl_models.board.model:BoardGameModel",
    description=(
        "m × n, k-in-a-row board games (tic-tac-toe, small Connect Four), with an exact solver"
    ),
    summary="socialrl_models.board.summary:study_summary",
    view="socialrl_models.board.view",
    strategies={"perfect_player": "socialrl_models.board.solver_policy:PerfectPlayer"},
    presets={"n_games": 64, "m": 3, "n": 3, "k": 3},
    preset_steps=20_000,
    bounds={"winner": (-1, 1), "game_length": (0, None), "games_finished": (0, None)},
    headline=("steps", "draw_share"),
    glossary={
        "runs": "runs behind the row (the unit of analysis: one run's games share learners)",
        "games": "games finished in those runs",
        "first_win_share": "share of games the first player (seat 0, X) won, mean over runs",
        "draw_share": "share of games drawn (a full board, no line), mean over runs",
        "second_win_share": "share of games the second player (seat 1, O) won, mean over runs",
        "*_ci95_low": "lower end of the 95% interval of the mean over runs (Student t)",
        "*_ci95_high": "upper end of the 95% interval of the mean over runs (Student t)",
        "length": "plies per game, mean over runs",
    },
)
