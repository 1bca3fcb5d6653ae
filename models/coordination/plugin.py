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
)
