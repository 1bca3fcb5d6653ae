"""How long a run lasts and what it records: one typed, frozen object from the spec to the loop.

A study's ``[run]`` table is validated into :class:`RunSettings`, every run's configuration
carries it, and :func:`~socialrl.run.loop.run_simulation` reads its fields. ``simulate``'s
keyword arguments build the same object, so a script and a study are checked by one set of
rules. Run ids hash its fields (``model_dump()``), so renaming one changes every run id.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

__all__ = ["Count", "RunSettings", "WholeNumber", "run_settings", "whole_number"]


def whole_number(value: Any) -> Any:
    """Refuse what only looks like a count: ``true``/``false``, text, fractions.

    Pydantic's lax mode would read ``steps = true`` as 1 step and ``"100"`` as 100; a study
    file that says either has a mistake in it, so it is refused. Whole floats (``1e6``) are
    whole numbers.
    """
    if isinstance(value, bool | str):
        raise ValueError(
            f"must be an integer, not {'true/false' if isinstance(value, bool) else 'text'}"
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be an integer, not a fraction")
        return int(value)
    return value


#: An integer, never a bool, a string or a fraction.
WholeNumber = Annotated[int, BeforeValidator(whole_number)]
#: A positive :data:`WholeNumber`.
Count = Annotated[int, BeforeValidator(whole_number), Field(gt=0)]


class RunSettings(BaseModel):
    """How long each run lasts and what it records.

    Attributes:
        steps: Steps per run (with ``episodes``: a cap).
        episodes: Run until every agent has finished this many episodes.
        record_every: A ``steps`` row every this many steps (and after the last one).
        snapshot_every: Per-agent ``agents`` rows every this many steps (always at the end).
        stop_when_stable: Stop once every learner's greedy policy has been unchanged for this
            many consecutive steps (each agent's greedy action in the states it visits). In a
            model of independent sessions (:class:`~socialrl.contract.SessionModel`, e.g. the
            pricing market's markets) each session ends on its own once its agents are stable,
            and the run ends when every session has (Calvano et al.'s convergence rule).
        keep_learners: Keep each group's final learner in the study's run folder (cross-play
            plays trained populations again from them). False for studies of many large runs
            (a pricing run's Q tables take ≈ 2.6 MB per 50 markets): nothing else changes, and
            it is not part of the run's identity (:meth:`identity`).

    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: Count | None = None
    episodes: Count | None = None
    record_every: Count = 100
    snapshot_every: Count | None = None
    stop_when_stable: Count | None = None
    keep_learners: bool = True

    def identity(self) -> dict[str, Any]:
        """The settings that decide a run's tables (its id hashes them): all but storage."""
        return self.model_dump(exclude={"keep_learners"})

    @model_validator(mode="after")
    def _has_length(self) -> RunSettings:
        if self.steps is None and self.episodes is None:
            raise ValueError("give the runs a length: steps and/or episodes")
        return self


def run_settings(
    steps: int | None = None,
    episodes: int | None = None,
    record_every: int = 100,
    snapshot_every: int | None = None,
    stop_when_stable: int | None = None,
) -> RunSettings:
    """:class:`RunSettings` from keyword arguments, with a one-line error for a bad value.

    Raises:
        ValueError: for a missing length, or a value that is not a positive integer.

    """
    try:
        return RunSettings(
            steps=steps,
            episodes=episodes,
            record_every=record_every,
            snapshot_every=snapshot_every,
            stop_when_stable=stop_when_stable,
        )
    except ValidationError as err:
        first = err.errors()[0]
        if not first["loc"]:
            raise ValueError("give the run a length: steps=… and/or episodes=…") from None
        name = first["loc"][0]
        raise ValueError(f"{name} must be a positive integer, got {first['input']!r}") from None
