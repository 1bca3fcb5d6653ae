"""Coordination games, as the engine and the app know them (see :mod:`socialrl.plugins`)."""

from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="coordination",
    model="socialrl_models.coordination.model:CoordinationModel",
    description="Coordination games played on grids, on networks and by random matching",
    env_ids={"socialrl/Coordination-v0": "socialrl_models.coordination.env:CoordinationEnv"},
    summary="socialrl_models.coordination.summary:study_summary",
    view="socialrl_models.coordination.view",
    strategies={
        "tit_for_tat": "socialrl_models.coordination.strategies:TitForTat",
        "win_stay_lose_shift": "socialrl_models.coordination.strategies:WinStayLoseShift",
    },
    bounds={"clustering": (-1, 1), "payoff_relative": (None, None), "max_share": (0, 1)},
    headline=("steps", "max_share"),
    glossary={
        "model.structure": "the social structure: grid, network or well-mixed, with its size",
        "convention": (
            "share of runs in which at least θ of the players (convention_share) chose one "
            "action for W consecutive steps (convention_window)"
        ),
        "t_convention": "first step of that agreement, mean over the runs that reached it",
        "t_convention_sd": "standard deviation of that step across those runs",
        "selected": "the action most runs ended on, with how many (e.g. hare 10/10)",
        "share_*": "share of players choosing the action in the last step, mean across runs",
        "coordination_rate": "share of games in the last step in which both chose the same",
        "payoff_relative": "mean payoff per game relative to the payoff-dominant equilibrium",
        "clustering": "Newman's assortativity of actions over neighbour pairs (1: segregated)",
    },
)
