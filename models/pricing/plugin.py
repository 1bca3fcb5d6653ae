"""The pricing market, as the engine and the app know it (see :mod:`socialrl.plugins`)."""

from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="pricing",
    model="socialrl_models.pricing.model:PricingModel",
    description="Calvano et al. (2020): firms setting prices in repeated logit-demand markets",
    env_ids={"socialrl/PricingMarket-v0": "socialrl_models.pricing.env:PricingMarketEnv"},
    summary="socialrl_models.pricing.summary:study_summary",
    view="socialrl_models.pricing.view",
)
