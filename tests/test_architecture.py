"""The dependency rule of docs/architecture.md, beyond what import-linter checks.

``lint-imports`` (run by ``make test`` and ``make lint``) checks the contracts in
pyproject.toml; this file checks what they cannot: cycles through a package's ``__init__``
(import-linter only compares siblings), and that every contract is written down in words.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("socialrl", "socialrl_models")


def test_no_module_is_part_of_an_import_cycle() -> None:
    """No module imports, directly or not, a module that imports it back.

    Function-level imports count (they are how a cycle hides); ``if TYPE_CHECKING:`` imports do
    not (they are annotations). Each cycle is listed once, as the chain of modules around it.
    """
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    cycles: dict[frozenset[str], str] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None and frozenset(back) not in cycles:
                cycles[frozenset(back)] = " -> ".join([importer, *back])
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles.values()))


def test_every_import_contract_is_written_down() -> None:
    """docs/architecture.md states each contract of pyproject.toml, under the same name."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["tool"]["importlinter"]["contracts"]]
    doc = " ".join((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split())
    assert names
    assert [n for n in names if n not in doc] == []
