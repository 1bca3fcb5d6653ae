"""What a league declares: whose snapshots, how often, how chosen, and how it is rated.

One typed, frozen schema serves a Python script (``LeagueOpponent(of="learner", …)``) and a
study file (``league = {of = "learner", …}`` on a population group,
:mod:`socialrl.study.spec`), as :class:`~socialrl.run.settings.RunSettings` does for the run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from socialrl.run.settings import Count, WholeNumber

__all__ = [
    "CHOICES",
    "AnchorSettings",
    "Choice",
    "LeagueSettings",
    "RatingSettings",
    "league_settings",
]

#: How the opponent of each snapshot period is drawn from the snapshots so far.
Choice = Literal["latest", "uniform", "prioritised"]
CHOICES: tuple[str, ...] = ("latest", "uniform", "prioritised")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnchorSettings(_Frozen):
    """A fixed player the learner is rated against (a registered learner or strategy).

    Attributes:
        learner: A registered name (``random``, ``tit_for_tat``, ``perfect_player``, …) or an
            import path ``"package.module:Class"``.
        params: Its parameters (``{action = 1}`` makes ``fixed_action`` always-defect).
        name: Its name in the ratings table (default: ``learner``).

    """

    learner: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(default=None, min_length=1)

    @property
    def label(self) -> str:
        """The anchor's name in the ratings table."""
        return self.name or self.learner


class RatingSettings(_Frozen):
    """Ratings over training: evaluation matches every ``every`` steps.

    At step 0 and every ``every`` steps a frozen, greedy copy of the learner plays one
    evaluation match against each anchor and against its copies from the ``past`` latest
    earlier rating steps, in a model of its own (its own seed, so training is untouched).
    The first time, the anchors also play each other, so that their ratings start apart.

    Attributes:
        every: Steps between ratings.
        steps: Length of each evaluation match, in steps of the model (e.g. a board game's
            longest game, or the rounds of a repeated game).
        anchors: The fixed players.
        past: How many of the learner's earlier rated copies it also plays (0: none).

    """

    every: Count
    steps: Count
    anchors: list[AnchorSettings] = Field(default_factory=list)
    past: WholeNumber = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _distinct_names(self) -> RatingSettings:
        labels = [a.label for a in self.anchors]
        repeated = sorted({x for x in labels if labels.count(x) > 1})
        if repeated:
            raise ValueError(f"anchor names repeat ({', '.join(repeated)}); give them a `name`")
        if "learner" in labels or any(x.startswith("learner@") for x in labels):
            raise ValueError("'learner' and 'learner@…' name the rated learner; rename the anchor")
        if not self.anchors and self.past == 0:
            raise ValueError("ratings need opponents: give anchors, or past ≥ 1")
        return self


class LeagueSettings(_Frozen):
    """A league opponent: a group driven by frozen snapshots of another group's learner.

    Attributes:
        of: The learning group whose snapshots drive this group (its name in the population).
        snapshot_every: Steps between snapshots; a new opponent is drawn after each.
        choose: ``"latest"`` (the newest snapshot: self-play with a lag), ``"uniform"``
            (fictitious self-play: any snapshot so far, equally likely; Heinrich, Lanctot &
            Silver 2015) or ``"prioritised"`` (prioritised fictitious self-play: snapshot ``j``
            with weight ``(1 − p_j)²``, ``p_j`` the learner's estimated chance to beat it;
            Vinyals et al. 2019).
        play: How snapshots act: ``"greedy"`` (their frozen greedy policy) or ``"explore"``
            (their exploring policy as it was when taken: ε, temperature, root noise).
        ratings: Ratings over training (:class:`RatingSettings`), or None.

    """

    of: str = Field(min_length=1)
    snapshot_every: Count
    choose: Choice = "uniform"
    play: Literal["greedy", "explore"] = "greedy"
    ratings: RatingSettings | None = None


def league_settings(**params: Any) -> LeagueSettings:
    """:class:`LeagueSettings` from keyword arguments, with a one-line error for a bad value.

    Raises:
        ValueError: naming the parameter, its value and what is allowed.

    """
    try:
        return LeagueSettings(**params)
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "league"
        message = first["msg"].removeprefix("Value error, ")
        given = first.get("input")
        shown = "" if isinstance(given, dict) or first["type"] == "missing" else f", got {given!r}"
        raise ValueError(f"league {key}: {message}{shown}") from None
