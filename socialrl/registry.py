"""Names for models and learners, so that studies and the command line can say ``"maze"``.

Entries are ``"module:attribute"`` strings, imported on first use, so listing what exists costs
nothing and a broken optional model cannot break the others. Anywhere a name is expected, an
import path ``"package.module:Class"`` works too: a researcher's own model or learner needs no
registration.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "LEARNERS",
    "MODELS",
    "load",
    "make_learner",
    "model_factory",
    "resolve_model",
]

MODELS: dict[str, str] = {
    "maze": "socialrl_models.maze.model:MazeModel",
    "pricing": "socialrl_models.pricing.model:PricingModel",
    "coordination": "socialrl_models.coordination.model:CoordinationModel",
    "gymnasium": "socialrl.envs.gym_model:GymnasiumModel",
}

#: Model-specific study summaries (``socialrl show``): ``results → DataFrame``.
SUMMARIES: dict[str, str] = {
    "maze": "socialrl_models.maze.analysis:study_summary",
    "pricing": "socialrl_models.pricing.analysis:study_summary",
    "coordination": "socialrl_models.coordination.analysis:study_summary",
}

LEARNERS: dict[str, str] = {
    "q_learning": "socialrl.learners.tabular:QLearning",
    "random": "socialrl.learners.fixed:RandomPolicy",
    "fixed_action": "socialrl.learners.fixed:FixedAction",
    "dqn": "socialrl.learners.dqn:DQN",
    "dyna_q": "socialrl.learners.dyna:DynaQ",
    "reinforce": "socialrl.learners.policy_gradient:Reinforce",
    "a2c": "socialrl.learners.policy_gradient:ActorCritic",
    "tit_for_tat": "socialrl_models.coordination.strategies:TitForTat",
    "win_stay_lose_shift": "socialrl_models.coordination.strategies:WinStayLoseShift",
}


def load(target: str) -> Any:
    """Import ``"package.module:attribute"``."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _lookup(kind: str, table: Mapping[str, str], name: str) -> Any:
    """A registered name, or an import path ``"package.module:Attribute"`` for your own."""
    if ":" in name:
        try:
            return load(name)
        except (ImportError, AttributeError) as err:
            raise KeyError(f"cannot import {kind} {name!r}: {err}") from None
    if name not in table:
        raise KeyError(f"unknown {kind} {name!r}; allowed: {', '.join(sorted(table))}")
    return load(table[name])


def resolve_model(model: str | Callable[..., Any]) -> Callable[..., Any]:
    """A model class from its registered name (or the class itself)."""
    if isinstance(model, str):
        return _lookup("model", MODELS, model)
    return model


def _check_params(
    kind: str, name: str, target: Callable[..., Any], params: Mapping[str, Any]
) -> None:
    """Refuse parameters the constructor does not take, naming the allowed ones."""
    signature = inspect.signature(target)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return
    allowed = [p for p in signature.parameters if p not in ("self", "rng")]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise TypeError(
            f"{kind} {name!r} takes no parameter {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(allowed)}"
        )


def model_factory(
    model: str | Callable[..., Any], params: Mapping[str, Any] | None = None
) -> Callable[[Any], Any]:
    """A function ``rng → model`` that builds ``model(**params, rng=rng)``.

    Unknown parameters are refused here, before any model is built.
    """
    cls = resolve_model(model)
    params = dict(params or {})
    name = model if isinstance(model, str) else getattr(cls, "__name__", repr(cls))
    _check_params("model", name, cls, params)

    def build(rng: Any) -> Any:
        return cls(**params, rng=rng)

    build.model_name = name  # type: ignore[attr-defined]
    return build


def make_learner(name: str, params: Mapping[str, Any] | None = None) -> Any:
    """Build a learner from its registered name and hyperparameters."""
    cls = _lookup("learner", LEARNERS, name)
    params = dict(params or {})
    _check_params("learner", name, cls, params)
    return cls(**params)
