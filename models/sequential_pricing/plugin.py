"""The sequential-pricing market, as the engine and the app know it (:mod:`socialrl.plugins`)."""

from socialrl.best_response import REGULATOR_GLOSSARY
from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="sequential_pricing",
    model="socialrl_models.sequential_pricing.model:SequentialPricingModel",
    description=(
        "Klein (2021): two Q-learning firms that reprice in turn; focal prices and Edgeworth cycles"
    ),
    summary="socialrl_models.sequential_pricing.summary:study_summary",
    # Each market is an independent session (its own firms and learners): the unit.
    units={"markets": "market", "agents": "market"},
    bounds={"price*": (0, 1), "*_share": (0, 1), "cycle_periods*": (1, None)},
    headline=("markets", "delta"),
    presets={"n_markets": 50, "k": 6},
    preset_steps=500_000,
    learner_presets={
        "q_learning": {
            "alpha": 0.3,
            "gamma": 0.95,
            "epsilon": {"kind": "exponential", "beta": 2.76e-5},
        }
    },
    glossary={
        "markets": "number of markets (sessions) behind the row",
        "focal_share": "share of markets whose greedy play settles on one price pair for ever",
        "delta_mean": (
            "profit gain Δ = (Σπ̄ − Σπ_N) / (Σπ_M − Σπ_N) on the greedy cycle, π_N the best "
            "static Nash profit on the grid, π_M half the joint maximum; mean across markets"
        ),
        "delta_sd": "standard deviation of Δ across markets",
        "delta_se": "standard error of Δ across markets",
        "price_mean": "mean price on the greedy cycle, mean across markets",
        "converged_share": "share of markets whose greedy prices stopped changing (converged)",
        "cycle_periods_mean": "periods of one greedy cycle, mean over the markets that cycle",
        **REGULATOR_GLOSSARY,
    },
)
