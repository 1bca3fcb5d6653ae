"""One study name, one study: refusing a changed spec that would hide finished runs.

Run ids hash each run's content, so a changed spec under the same name computes other ids,
and the runs already on disk would drop out of every table without a word (they stay in the
folder, invisible). :func:`check_same_study` refuses that before anything runs, naming what
changed; ``--fresh`` replaces the old runs, another name keeps both. A change that hides no
finished run — more replications, another sweep value added, a new description — extends the
study and goes ahead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from socialrl.study.spec import StudySpec
from socialrl.study.store import ResultsError, StudyStore

__all__ = ["check_same_study", "spec_differences"]


def check_same_study(store: StudyStore, spec: StudySpec, run_ids: set[str]) -> None:
    """Raise when the folder holds finished runs that ``spec`` does not have.

    Raises:
        ResultsError: one line: how many runs would be hidden, what differs, what to do.

    """
    done = {info["run_id"] for info in store.run_infos() if info.get("status") == "done"}
    hidden = done - run_ids
    if not hidden:
        return
    try:
        manifest = store.manifest()
    except ResultsError:
        manifest = None
    if manifest is None:
        what = "no readable manifest says which spec they ran"
    else:
        changes = list(spec_differences(manifest["spec"], spec.to_dict()))
        shown = "; ".join(changes[:4]) + (
            f"; … {len(changes) - 4} more" if len(changes) > 4 else ""
        )
        what = f"changed: {shown}" if changes else "the same spec, other run ids"
    raise ResultsError(
        f"{store.dir} holds {len(hidden)} finished runs of another version of study "
        f"{spec.name!r} ({what}); running this one would hide them: run with --fresh to "
        "replace them, or give the study another name"
    )


def spec_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[str]:
    """``"key: old → new"`` for every dotted key whose value differs (added/removed too)."""
    before, after = dict(_flat(old)), dict(_flat(new))
    for key in sorted(set(before) | set(after)):
        if key == "description":
            continue
        if key not in before:
            yield f"{key} added ({after[key]!r})"
        elif key not in after:
            yield f"{key} removed (was {before[key]!r})"
        elif before[key] != after[key]:
            yield f"{key}: {before[key]!r} → {after[key]!r}"


def _flat(value: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted keys of nested tables; a list of tables (the population) by index."""
    for key, item in value.items():
        dotted = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            yield from _flat(item, f"{dotted}.")
        elif isinstance(item, list) and item and all(isinstance(i, Mapping) for i in item):
            for k, table in enumerate(item):
                yield from _flat(table, f"{dotted}[{k}].")
        else:
            yield dotted, item
