"""A tournament in a TOML file: what ``socialrl tournament FILE.toml`` reads, checked before play.

::

    name = "axelrod_tournament"
    seed = 2024
    turns = 200             # per match (the most, with prob_end)
    repetitions = 10        # the round robin's replications
    noise = 0.0             # probability that each intended move is flipped
    # prob_end = 0.005      # probability that a match ends after each turn
    game = { R = 3, S = 0, T = 5, P = 1 }

    [[players]]
    strategy = "TitForTat"  # socialrl.tournament.strategies.STRATEGIES

    [[players]]
    strategy = "Random"
    params = { p = 0.5 }

    [[players]]
    learner = "q_learning"  # any learner name of `socialrl list`, or "package.module:Class"
    name = "Q-learner"
    memory = 1
    params = { alpha = 0.1, gamma = 0.95, epsilon = 0.1 }

    [moran]                 # optional: fixation probabilities over the payoff matrix
    population = 10
    runs = 1000
    selection = 1.0

Every problem of a file is reported at once, one line each, naming the file, the key and what
is allowed (the same form as a study's errors, :mod:`socialrl.study.spec`), before anything is
played: unknown keys, wrong types, values out of range, unknown strategy or learner names,
parameters a strategy or learner does not take, duplicate player names.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from socialrl import registry
from socialrl.tournament.game import Game
from socialrl.tournament.learner_player import MAX_MEMORY, LearnerPlayer
from socialrl.tournament.moran import MoranSettings
from socialrl.tournament.players import Player
from socialrl.tournament.round_robin import TournamentSettings
from socialrl.tournament.strategies import STRATEGIES, make_strategy

__all__ = [
    "GameSpec",
    "MoranSpec",
    "PlayerSpec",
    "TournamentSpec",
    "TournamentSpecError",
    "load_tournament",
    "parse_tournament",
]

#: A tournament's name is one folder name (its results land in ``OUT/<name>/``).
NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


class TournamentSpecError(ValueError):
    """A tournament file that cannot be played: one line per problem (file, key, allowed)."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(dict.fromkeys(lines)))
        self.lines = tuple(dict.fromkeys(lines))


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


#: A finite number (TOML's ``true`` is not one).
Number = Annotated[float, BeforeValidator(_no_bool), Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GameSpec(_Strict):
    """The stage game's payoffs (:class:`~socialrl.tournament.game.Game`)."""

    R: Number = 3.0
    S: Number = 0.0
    T: Number = 5.0
    P: Number = 1.0

    def build(self) -> Game:
        """The :class:`Game`."""
        return Game(self.R, self.S, self.T, self.P)


class MoranSpec(_Strict):
    """A Moran process over the tournament's payoffs (:class:`~.moran.MoranSettings`)."""

    population: StrictInt = Field(10, ge=2)
    runs: StrictInt = Field(1000, ge=1)
    selection: Number = Field(1.0, gt=0, le=1)

    def build(self) -> MoranSettings:
        """The :class:`MoranSettings`."""
        return MoranSettings(self.population, self.runs, self.selection)


class PlayerSpec(_Strict):
    """One player: a classic ``strategy`` or a ``learner``, with its ``params``.

    Attributes:
        strategy: A name of :data:`~socialrl.tournament.strategies.STRATEGIES`.
        learner: A learner's name (``socialrl list``) or ``"package.module:Class"``.
        name: How the tables call the player (default: the strategy with its parameters, or
            the learner's name).
        memory: A learner's memory in turns (1 … 4; default 1).
        params: The strategy's parameters or the learner's hyperparameters.

    """

    strategy: str | None = None
    learner: str | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    memory: StrictInt | None = Field(None, ge=1, le=MAX_MEMORY)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, name: str | None) -> str | None:
        if name is not None and name not in STRATEGIES:
            raise ValueError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGIES)}")
        return name

    @field_validator("learner")
    @classmethod
    def _known_learner(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                registry.learner_class(name)
            except KeyError as err:
                raise ValueError(str(err).strip("'\"")) from None
        return name

    @field_validator("params")
    @classmethod
    def _params_taken(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Build the strategy or learner once, so that a bad parameter is reported here."""
        try:
            if info.data.get("strategy") is not None:
                make_strategy(info.data["strategy"], params)
            elif info.data.get("learner") is not None:
                registry.make_learner(info.data["learner"], params)
        except (TypeError, KeyError) as err:  # pydantic reports ValueErrors only
            raise ValueError(str(err).strip("'\"")) from None
        return params

    @model_validator(mode="after")
    def _one_kind(self) -> PlayerSpec:
        if (self.strategy is None) == (self.learner is None):
            raise ValueError("give either strategy or learner (one of them)")
        if self.memory is not None and self.learner is None:
            raise ValueError("memory is for learners; a strategy reads the history it needs")
        if self.learner is not None:
            try:  # bind once: refuses a learner that cannot play the game's observations
                self.build().seats(1, np.random.SeedSequence(0))
            except (TypeError, RuntimeError) as err:
                raise ValueError(f"learner {self.learner!r} cannot play: {err}") from None
        return self

    def build(self) -> Player:
        """A fresh player (a new learner object each time)."""
        if self.strategy is not None:
            strategy = make_strategy(self.strategy, self.params)
            return strategy if self.name is None else replace(strategy, name=self.name)
        assert self.learner is not None  # checked by the validator
        learner = registry.make_learner(self.learner, self.params)
        return LearnerPlayer(self.name or self.learner, learner, self.memory or 1)


class TournamentSpec(_Strict):
    """A whole tournament (the module docstring shows every key)."""

    name: str = Field(pattern=NAME, max_length=200)
    description: str = ""
    seed: StrictInt = Field(0, ge=0, lt=2**63)
    turns: StrictInt = Field(200, ge=1)
    repetitions: StrictInt = Field(10, ge=1)
    noise: Number = Field(0.0, ge=0, le=1)
    prob_end: Number | None = Field(None, gt=0, le=1)
    game: GameSpec = Field(default_factory=GameSpec)
    players: list[PlayerSpec] = Field(min_length=2)
    moran: MoranSpec | None = None

    @field_validator("players")
    @classmethod
    def _distinct_names(cls, players: list[PlayerSpec]) -> list[PlayerSpec]:
        names = [p.build().name for p in players]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(
                f"two players share the name {', '.join(map(repr, twice))}; give each a "
                'distinct name = "…"'
            )
        return players

    @field_validator("moran")
    @classmethod
    def _positive_fitness(cls, moran: MoranSpec | None, info: ValidationInfo) -> Any:
        game = info.data.get("game")
        if moran is not None and game is not None:
            lowest = min(game.R, game.S, game.T, game.P)
            if 1 - moran.selection + moran.selection * lowest < 0:
                raise ValueError(
                    f"fitness 1 − w + w·payoff must be ≥ 0, but the lowest payoff is {lowest:g} "
                    f"at selection {moran.selection:g}; lower the selection or shift the payoffs"
                )
        return moran

    def settings(self) -> TournamentSettings:
        """The round robin's settings."""
        return TournamentSettings(
            self.turns, self.repetitions, self.noise, self.prob_end, self.game.build()
        )

    def build_players(self) -> list[Player]:
        """Fresh players, in file order."""
        return [p.build() for p in self.players]


def load_tournament(path: str | Path) -> TournamentSpec:
    """Read and check a tournament file.

    Raises:
        TournamentSpecError: every problem, one line each, naming the file and the key.

    """
    path = Path(path)
    if path.suffix != ".toml":
        raise TournamentSpecError(f"{path}: a tournament is a .toml file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TournamentSpecError(f"{path}: no such tournament file") from None
    except tomllib.TOMLDecodeError as err:
        raise TournamentSpecError(f"{path}: not valid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise TournamentSpecError(f"{path}: cannot be read ({type(err).__name__})") from None
    return parse_tournament(data, source=str(path))


def parse_tournament(data: dict[str, Any], source: str = "<tournament>") -> TournamentSpec:
    """Check plain data (parsed TOML) into a :class:`TournamentSpec`."""
    try:
        return TournamentSpec(**data)
    except ValidationError as err:
        raise TournamentSpecError(*(_error_line(e, source) for e in err.errors())) from None


_SECTIONS: dict[str, type[BaseModel]] = {
    "players": PlayerSpec,
    "game": GameSpec,
    "moran": MoranSpec,
}


def _error_line(error: Any, source: str) -> str:
    """``FILE: key 'players[2].params': problem (got value)``, or the keys allowed there."""
    loc = [str(p) for p in error["loc"]]
    key = re.sub(r"\.(\d+)", r"[\1]", ".".join(loc))
    if error["type"] == "extra_forbidden":
        names = [p for p in loc[:-1] if not p.isdigit()]
        section = _SECTIONS.get(names[-1], TournamentSpec) if names else TournamentSpec
        return f"{source}: unknown key '{key}'; allowed: {', '.join(section.model_fields)}"
    if error["type"] == "missing":
        return f"{source}: missing key '{key}'"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch" and loc == ["name"]:
        message = "a name is one folder name: letters, digits, _ . - (not starting with .)"
    given = error.get("input")
    shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
    return f"{source}: key '{key or '<top>'}': {message}{shown}"
