"""Names for models and learners, so that studies and the command line can say ``"maze"``.

Models, and the scripted strategies a model offers as learners, come from the model plugins
(:mod:`socialrl.plugins`); the engine's own learners are listed here. Entries are
``"module:attribute"`` strings, imported on first use, so listing what exists costs nothing.
Anywhere a name is expected, an import path ``"package.module:Class"`` works too — for a
class only: a study file names what to build, never an arbitrary function to call.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import mesa

from socialrl.plugins import ModelPlugin, PluginWarning, discover, load

__all__ = [
    "LEARNERS",
    "learner_class",
    "learner_targets",
    "make_learner",
    "model_factory",
    "model_names",
    "plugin_for",
    "resolve_model",
]

#: The engine's own learners; models add their scripted strategies through their plugins.
LEARNERS: dict[str, str] = {
    "q_learning": "socialrl.learners.q_learning:QLearning",
    "random": "socialrl.learners.fixed:RandomPolicy",
    "fixed_action": "socialrl.learners.fixed:FixedAction",
    "dqn": "socialrl.learners.dqn:DQN",
    "dyna_q": "socialrl.learners.dyna_q:DynaQ",
    "reinforce": "socialrl.learners.reinforce:Reinforce",
    "a2c": "socialrl.learners.actor_critic:ActorCritic",
    "mcts": "socialrl.learners.mcts:MCTS",
    "alphazero": "socialrl.learners.alphazero:AlphaZero",
}


def _import_class(kind: str, target: str, base: type | None = None) -> type:
    """The class at ``"package.module:Class"``; anything else (a function, a module) refused.

    Raises:
        KeyError: like an unknown name, so that a study's error names the key that is wrong.

    """
    try:
        obj = load(target)
    except (ImportError, AttributeError, ValueError) as err:
        raise KeyError(f"cannot import {kind} {target!r}: {err}") from None
    if not inspect.isclass(obj):
        raise KeyError(f"{kind} {target!r} is a {type(obj).__name__}, not a class")
    if base is not None and not issubclass(obj, base):
        raise KeyError(f"{kind} {target!r} is not a {base.__module__}.{base.__qualname__}")
    return obj


def model_names() -> list[str]:
    """The models that plugins offer, sorted."""
    return sorted(discover().plugins)


def _plugin(name: str) -> ModelPlugin:
    """The plugin of a model name; the error says what exists, or why a plugin is missing."""
    found = discover()
    if name in found.plugins:
        return found.plugins[name].plugin
    for broken in found.broken:
        if broken.name == name:
            raise KeyError(
                f"model {name!r} comes from a plugin that did not load ({broken.distribution}: "
                f"{broken.entry_point}): {broken.error}"
            )
    raise KeyError(f"unknown model {name!r}; allowed: {', '.join(sorted(found.plugins))}")


def resolve_model(model: str | Callable[..., Any]) -> Callable[..., Any]:
    """A model class from its name, an import path ``"package.module:Class"``, or itself."""
    if not isinstance(model, str):
        return model
    target = model if ":" in model else _plugin(model).model
    return _import_class("model", target, mesa.Model)


def plugin_for(model: str | type) -> ModelPlugin | None:
    """The plugin of a model, named by its plugin name, its import path or its class.

    A model named by import path (``"socialrl_models.maze.model:MazeModel"``) still gets its
    plugin's summary and view: the plugin whose ``model`` is that class.
    """
    found = {name: f.plugin for name, f in discover().plugins.items()}
    if isinstance(model, str) and ":" not in model:
        return found.get(model)
    for plugin in found.values():
        if plugin.model == model:
            return plugin
    try:
        cls = resolve_model(model)
    except KeyError:
        return None
    for plugin in found.values():
        try:
            if load(plugin.model) is cls:
                return plugin
        except Exception:  # another plugin's broken model is not this model
            continue
    return None


def learner_targets() -> dict[str, str]:
    """Every learner name: the engine's learners, then the strategies that plugins offer."""
    targets = dict(LEARNERS)
    for name, found in discover().plugins.items():
        for strategy, target in found.plugin.strategies.items():
            if strategy in LEARNERS:
                warnings.warn(
                    f"model plugin {name!r} offers a strategy {strategy!r}, the name of an "
                    "engine learner: it is ignored (rename it)",
                    PluginWarning,
                    stacklevel=2,
                )
                continue
            targets[strategy] = target
    return targets


def learner_class(name: str) -> type:
    """A learner class from its name or an import path ``"package.module:Class"``."""
    if ":" in name:
        return _import_class("learner", name)
    targets = learner_targets()
    if name not in targets:
        raise KeyError(f"unknown learner {name!r}; allowed: {', '.join(sorted(targets))}")
    return _import_class("learner", targets[name])


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
    """Build a learner from its name (or import path) and hyperparameters."""
    cls = learner_class(name)
    params = dict(params or {})
    _check_params("learner", name, cls, params)
    return cls(**params)
