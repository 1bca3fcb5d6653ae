"""The pricing market, as the engine and the app know it (see :mod:`socialrl.plugins`)."""

from socialrl.best_response import REGULATOR_GLOSSARY
from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="pricing",
    model="socialrl_models.pricing.model:PricingModel",
    description="Calvano et al. (2020): firms setting prices in repeated logit-demand markets",
    env_ids={"socialrl/PricingMarket-v0": "socialrl_models.pricing.env:PricingMarketEnv"},
    summary="socialrl_models.pricing.summary:study_summary",
    view="socialrl_models.pricing.view",
    # Each market is an independent session (its own firms and learners): the unit of analysis.
    units={"markets": "market", "impulse": "market", "agents": "market"},
    bounds={"price*": (0, None), "p_*": (0, None), "cycle_length": (1, None)},
    headline=("markets", "delta"),
    glossary={
        "markets": "number of markets (Calvano's sessions) behind the row",
        "delta_mean": (
            "profit gain Δ = (Σπ̄ − Σπ_Nash) / (Σπ_joint max − Σπ_Nash) of the industry on the "
            "greedy cycle the market ends in (Calvano et al.'s measure, defined for asymmetric "
            "firms too); mean across markets"
        ),
        "delta_firm": (
            "a firm's own (π̄_i − π_Nash,i) / (π_joint max,i − π_Nash,i); NaN where its share of "
            "the joint maximum is not above its Nash profit"
        ),
        "delta_sd": "standard deviation of Δ across markets",
        "converged_share": "share of markets whose greedy prices stopped changing (converged)",
        "periods_mean": (
            "periods until convergence, without the final stability window; mean over the "
            "converged markets"
        ),
        "cycle_1_share": "share of markets whose greedy cycle is a single price vector",
        "delta_published": "Calvano et al. (2020) baseline Δ, for comparison",
        "periods_published": "Calvano et al. (2020) baseline periods to convergence",
        "tau": "period around the forced deviation: 0 before it, 1 the deviation",
        "deviator_price": "price of the firm forced to deviate to its static best response",
        "rival_price": "mean price of the other firms",
        "p_nash": "Bertrand–Nash price",
        "p_monopoly": "joint-profit-maximising price",
        **REGULATOR_GLOSSARY,
    },
)
