"""Alternating-offers bargaining, as the engine and the app know it (:mod:`socialrl.plugins`)."""

from socialrl.plugins import ModelPlugin

PLUGIN = ModelPlugin(
    name="bargaining",
    model="socialrl_models.bargaining.model:BargainingModel",
    description=(
        "Rubinstein (1982) alternating-offers bargaining and the ultimatum game; "
        "subgame-perfect splits by backward induction"
    ),
    summary="socialrl_models.bargaining.summary:study_summary",
    strategies={"bargaining_spe": "socialrl_models.bargaining.strategies:SPEPlayer"},
    # Each game slot is an independent pair of players (with their own learners): the unit.
    units={"agreements": "game"},
    bounds={
        "first_offer*": (0, None),
        "first_share": (0, 1),
        "share_0": (0, 1),
        "payoff_*": (0, 1),
        "*_share": (0, 1),
        "agreed*": (0, 1),
        "round": (0, None),
        "end_round_mean": (0, None),
    },
    headline=("steps", "first_offer_mean"),
    presets={"n_games": 50, "pie": 10, "horizon": 1, "observation": "state"},
    preset_steps=200_000,
    learner_presets={
        "q_learning": {
            "alpha": 0.1,
            "gamma": 1.0,
            "epsilon": {"kind": "linear", "start": 1.0, "end": 0.01, "steps": 150_000},
        }
    },
    glossary={
        "games": "number of games (run × game slot) behind the row: the unit of analysis",
        "spe_offer": (
            "units the opener keeps in the subgame-perfect equilibrium (backward induction on "
            "the grid; an indifferent responder accepts)"
        ),
        "first_offer_mean": "units the opener proposes to keep in a greedy replay, mean over games",
        "first_offer_se": "standard error of that mean across games",
        "first_offer_ci95_low": "lower end of that mean's 95% interval (Student t, over games)",
        "first_offer_ci95_high": "upper end of that mean's 95% interval (Student t, over games)",
        "agreement_share": "share of games whose greedy replay ends in agreement",
        "round0_share": "share of games that agree in round 0 (as the equilibrium does)",
        "within_one_share": "share of games whose opening offer lies within one unit of the SPE",
        "abs_gap_mean": "mean |opening offer − SPE offer| in units, over games",
        "accept_up_to_mean": (
            "the round-0 responder's greedy threshold: the most the proposer may keep with "
            "every smaller claim accepted (−1: rejects all); SPE: the whole pie in the ultimatum"
        ),
    },
)
