"""The repeated auction, as the engine and the app know it (see :mod:`socialrl.plugins`)."""

from socialrl.best_response import REGULATOR_GLOSSARY
from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="auction",
    model="socialrl_models.auction.model:AuctionModel",
    description=(
        "Banchio & Skrzypacz (2022): Q-learning bidders in repeated first- and second-price "
        "auctions"
    ),
    summary="socialrl_models.auction.summary:study_summary",
    # Each auction is an independent session (its own bidders and learners): the unit.
    units={"markets": "market", "agents": "market"},
    bounds={
        "bid*": (0, None),
        "winning_bid*": (0, None),
        "revenue*": (0, None),
        "*_share*": (0, 1),
        "bid_ratio*": (0, None),
        "cycle_length": (1, None),
    },
    headline=("markets", "revenue"),
    presets={"n_markets": 20, "m": 19, "format": "first"},
    preset_steps=200_000,
    learner_presets={
        "q_learning": {
            "alpha": 0.1,
            "gamma": 0.95,
            "epsilon": {"kind": "exponential", "beta": 2e-5},
        }
    },
    glossary={
        "markets": "number of auctions (sessions) behind the row",
        "bid": "a bidder's greedy bid, averaged over the cycle its greedy play settles in",
        "bid_ratio_mean": "greedy bid ÷ value, mean over the auction's bidders, then auctions",
        "bid_ratio_se": "standard error of bid ÷ value across auctions",
        "winning_bid_mean": "the highest greedy bid of the auction, mean across auctions",
        "winning_bid_se": "standard error of the winning bid across auctions",
        "revenue_mean": "the seller's expected revenue per period, mean across auctions",
        "revenue_se": "standard error of revenue across auctions",
        "surplus_mean": "the bidders' total expected surplus per period, mean across auctions",
        "surplus_se": "standard error of the bidders' surplus across auctions",
        "converged_share": "share of auctions whose greedy bids stopped changing (converged)",
        "revenue_nash_min": "lowest revenue of a pure one-shot Nash equilibrium on the grid",
        "revenue_nash_max": "highest revenue of a pure one-shot Nash equilibrium on the grid",
        "win_share": "a bidder's chance to win on the greedy cycle (ties split)",
        "cycle_length": "periods of the greedy cycle (1 for stateless bidders)",
        **REGULATOR_GLOSSARY,
    },
)
