"""Every registered model and learner has contract tests (``tests/contracts.py``).

Registered means: the model class of every installed plugin, every engine learner and every
strategy a plugin offers. A new one without a ``ModelContract``/``LearnerContract`` subclass
somewhere in ``tests/`` fails here, naming it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialrl import registry
from tests.contracts import LearnerContract, ModelContract

TESTS = Path(__file__).resolve().parent


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.fixture(scope="module")
def contracts() -> tuple[list[type], list[type]]:
    """The contract subclasses of every test module (a module that cannot import is skipped)."""
    unimportable = []
    for path in sorted(TESTS.glob("test_*.py")):
        try:
            importlib.import_module(f"tests.{path.stem}")
        except pytest.skip.Exception as skipped:
            unimportable.append(f"{path.name} ({skipped})")
    if unimportable:
        pytest.skip(f"test modules without their dependencies: {', '.join(unimportable)}")
    return list(_subclasses(ModelContract)), list(_subclasses(LearnerContract))


def test_every_registered_model_has_a_contract_test(
    contracts: tuple[list[type], list[type]],
) -> None:
    covered = {sub.model for sub in contracts[0] if inspect.isclass(vars(sub).get("model"))}
    missing = [
        name for name in registry.model_names() if registry.resolve_model(name) not in covered
    ]
    assert not missing, f"models without a ModelContract subclass in tests/: {missing}"


def test_every_registered_learner_and_strategy_has_a_contract_test(
    contracts: tuple[list[type], list[type]],
) -> None:
    covered = {type(sub().make()) for sub in contracts[1]}
    missing = [
        name
        for name in sorted(registry.learner_targets())
        if registry.learner_class(name) not in covered
    ]
    assert not missing, f"learners without a LearnerContract subclass in tests/: {missing}"
