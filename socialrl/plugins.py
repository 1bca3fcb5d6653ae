"""Model plugins: how a model package tells the engine and the app everything about itself.

A model package (ours in ``models/``, or a researcher's own, installed anywhere) declares one
:class:`ModelPlugin` — the model class, its Gymnasium ids, its study summary, its app view, its
Run-page presets, the scripted strategies it offers — and names it in its packaging metadata::

    # pyproject.toml of the package
    [project.entry-points."socialrl.models"]
    my_model = "my_package.plugin:PLUGIN"

:func:`discover` finds every installed plugin through that entry-point group, so the engine never
imports a concrete model and a new model is registered in exactly one place. A plugin holds
``"module:attribute"`` strings, never the objects: listing the models imports no model, and a
model that fails to import breaks only itself. A plugin that cannot be loaded at all (an import
error in its plugin module, two plugins claiming one name) is reported by name — in
``socialrl list`` and as a :class:`PluginWarning` — and the others work on.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

__all__ = [
    "GROUP",
    "Broken",
    "Discovery",
    "Found",
    "ModelPlugin",
    "PluginWarning",
    "discover",
    "load",
    "refresh",
]

#: The entry-point group a model package declares its plugin in.
GROUP = "socialrl.models"


class PluginWarning(UserWarning):
    """A model plugin that could not be loaded (the others still work)."""


@dataclass(frozen=True)
class ModelPlugin:
    """Everything the engine and the app need to know about one model package.

    Targets are ``"package.module:attribute"`` strings, imported only when used.

    Attributes:
        name: What studies write (``model.name = "maze"``); also the entry point's name.
        model: The model class, ``"package.module:Class"`` (a :class:`mesa.Model` that
            implements :class:`socialrl.contract.MultiAgentModel`).
        description: One line for ``socialrl list``.
        env_ids: Gymnasium ids → their environment class (``"package.module:Class"``),
            registered by ``import socialrl``.
        summary: ``"package.module:function"``: a study's results → one DataFrame, or
            ``{title: DataFrame}`` (``socialrl show`` prints it).
        view: The module of the app's model view (it defines ``TITLE`` and
            ``render(study)``; see :mod:`socialrl.app.views`).
        presets: Model parameters the app's Run page starts from: small, and enough to learn
            something in a short run.
        preset_steps: Steps per run the Run page starts from: enough for its presets to learn
            (a first launch that learns nothing looks like a failure).
        learner_presets: Learner name → parameters the Run page starts from with this model.
        strategies: Scripted strategies the model offers as learners, name →
            ``"package.module:Class"`` (a study then says ``learner = "tit_for_tat"``).
        glossary: What each column of the study summary means, column (or ``fnmatch``
            pattern such as ``share_*``) → one line; ``socialrl show --explain`` prints it.
        units: The unit of analysis of the model's tables, table → the column naming the
            independent replications within a run (``{"markets": "market"}``: each market is
            its own session); statistics of that table are over run × unit, not runs
            (:mod:`socialrl.statistics`). A study may declare its own (``units``).
        bounds: What the model's quantities can take, column (or pattern) → ``(low, high)``
            (None: unbounded); intervals are clipped to them.
        headline: ``(table, metric)`` that answers a study's question (the maze:
            ``("episodes", "length")``); the app's Explore page opens on it.

    """

    name: str
    model: str
    description: str = ""
    env_ids: Mapping[str, str] = field(default_factory=dict)
    summary: str | None = None
    view: str | None = None
    presets: Mapping[str, Any] = field(default_factory=dict)
    preset_steps: int | None = None
    learner_presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    strategies: Mapping[str, str] = field(default_factory=dict)
    glossary: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    headline: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.name or ":" in self.name or self.name != self.name.strip():
            raise ValueError(f"a model plugin's name must be a plain word, got {self.name!r}")
        targets = [self.model, *self.env_ids.values(), *self.strategies.values()]
        for target in [*targets, *([self.summary] if self.summary else [])]:
            module, _, attribute = target.partition(":")
            if not module or not attribute:
                raise ValueError(
                    f"plugin {self.name!r}: {target!r} is not a 'package.module:attribute' target"
                )
        if self.view is not None and ":" in self.view:
            raise ValueError(f"plugin {self.name!r}: view is a module path, got {self.view!r}")
        # Read-only mappings: a plugin is shared by every caller of discover().
        for name in (
            "env_ids",
            "presets",
            "learner_presets",
            "strategies",
            "glossary",
            "units",
            "bounds",
        ):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


@dataclass(frozen=True)
class Found:
    """A plugin that loaded, with where it came from."""

    plugin: ModelPlugin
    distribution: str
    entry_point: str


@dataclass(frozen=True)
class Broken:
    """A plugin that did not load, and why (shown by ``socialrl list``)."""

    name: str
    distribution: str
    entry_point: str
    error: str


@dataclass(frozen=True)
class Discovery:
    """The installed plugins: those that loaded (by name) and those that did not."""

    plugins: Mapping[str, Found]
    broken: tuple[Broken, ...]


def load(target: str) -> Any:
    """Import ``"package.module:attribute"``."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@functools.cache
def discover() -> Discovery:
    """Every installed plugin, loaded once per process (:func:`refresh` looks again).

    Each broken plugin is reported as a :class:`PluginWarning` when the plugins are first
    looked up.
    """
    found: list[Found] = []
    broken: list[Broken] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, _distribution(e))):
        try:
            found.append(Found(_plugin(ep), _distribution(ep), ep.value))
        except Exception as err:  # whatever a plugin module raises must not break the others
            broken.append(Broken(ep.name, _distribution(ep), ep.value, _message(err)))
    usable, clashing = _without_clashes(found)
    broken.extend(clashing)
    for b in broken:
        warnings.warn(
            f"socialrl model plugin {b.name!r} ({b.distribution}: {b.entry_point}) is not "
            f"available: {b.error}",
            PluginWarning,
            stacklevel=2,
        )
    return Discovery(MappingProxyType({f.plugin.name: f for f in usable}), tuple(broken))


def refresh() -> None:
    """Forget the plugins found so far (after installing one into a running process)."""
    discover.cache_clear()


def _distribution(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "an unknown distribution"


def _message(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"


def _plugin(ep: EntryPoint) -> ModelPlugin:
    """The entry point's plugin object, checked."""
    plugin = ep.load()
    if not isinstance(plugin, ModelPlugin):
        raise TypeError(
            f"{ep.value} is a {type(plugin).__name__}, not a socialrl.plugins.ModelPlugin"
        )
    if plugin.name != ep.name:
        raise ValueError(
            f"the entry point {ep.name!r} names a plugin called {plugin.name!r}: make them agree"
        )
    return plugin


def _without_clashes(found: Iterable[Found]) -> tuple[list[Found], list[Broken]]:
    """Plugins that claim a name no other plugin claims, and the others as broken.

    A model name, a Gymnasium id or a strategy name claimed twice cannot be resolved without
    guessing which one a study meant, so neither claimant is used until one is renamed or
    uninstalled; the error names both distributions.
    """
    claims: dict[tuple[str, str], list[Found]] = defaultdict(list)
    for f in found:
        claims[("model name", f.plugin.name)].append(f)
        for env_id in f.plugin.env_ids:
            claims[("Gymnasium id", env_id)].append(f)
        for strategy in f.plugin.strategies:
            claims[("strategy", strategy)].append(f)
    errors: dict[int, list[str]] = defaultdict(list)
    for (what, name), claimants in claims.items():
        if len(claimants) > 1:
            who = " and ".join(f"{c.distribution} ({c.entry_point})" for c in claimants)
            for c in claimants:
                errors[id(c)].append(
                    f"the {what} {name!r} is declared by {who}: uninstall or rename one"
                )
    usable = [f for f in found if id(f) not in errors]
    broken = [
        Broken(f.plugin.name, f.distribution, f.entry_point, "; ".join(errors[id(f)]))
        for f in found
        if id(f) in errors
    ]
    return usable, broken
