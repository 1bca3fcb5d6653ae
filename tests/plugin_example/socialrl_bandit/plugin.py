"""Everything socialrl needs to know about the bandit model: the one place it is registered."""

from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="bandit",
    model="socialrl_bandit.model:BanditModel",
    description="Gamblers learning which arm of a bandit pays (an example plugin)",
    env_ids={"bandit/Bandit-v0": "socialrl_bandit.env:BanditEnv"},
    summary="socialrl_bandit.summary:study_summary",
    view="socialrl_bandit.view",
    presets={"n_agents": 8},
    learner_presets={"q_learning": {"alpha": 0.1, "gamma": 0.0}},
)
