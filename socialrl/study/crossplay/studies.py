"""Cross-play over studies on disk: choosing the players, writing and reading the tables.

Players are chosen by **selectors**, the words ``socialrl crossplay --focal/--background``
takes:

* ``all``: every finished run of the studies;
* a run id, or a unique prefix of one (at least 4 characters);
* ``KEY=VALUE``: the runs whose column ``KEY`` of the runs table has that value
  (``point=0``, ``population.player.learner=q_learning``, ``model.game=coordination``);
* ``strategy:NAME`` or ``strategy:NAME:k=v,k=v``: a scripted strategy
  (``strategy:tit_for_tat``, ``strategy:fixed_action:action=1``: always-defect).

The tables go into the (first) study's folder, next to its ``manifest.json``:
``crossplay.parquet`` (one row per match) and ``crossplay_summary.parquet`` (one row per
focal design cell), each written atomically; nothing is written anywhere else.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from socialrl.results import atomic_write
from socialrl.study.crossplay.matrix import CrossPlay, cross_play
from socialrl.study.crossplay.play import Schedule
from socialrl.study.crossplay.players import CrossPlayError, Player, Scripted, Trained, World
from socialrl.study.crossplay.seating import AgentSelector
from socialrl.study.design import RunConfig
from socialrl.study.results import StudyResults, load_results

__all__ = [
    "SUMMARY_FILE",
    "TABLE_FILE",
    "crossplay_study",
    "parse_strategy",
    "played_runs",
    "read_crossplay",
    "study_players",
    "trained_runs",
    "write_crossplay",
]

#: Where a study keeps its cross-play matrix, and the summary of it.
TABLE_FILE = "crossplay.parquet"
SUMMARY_FILE = "crossplay_summary.parquet"
STRATEGY = "strategy:"
#: Shortest run-id prefix a selector may use.
MIN_PREFIX = 4


def crossplay_study(
    studies: Sequence[str | Path],
    focal: Sequence[str] = ("all",),
    background: Sequence[str] = ("all",),
    *,
    schedule: Schedule | None = None,
    focal_role: str | None = None,
    focal_agents: AgentSelector | None = None,
    write: bool = True,
) -> CrossPlay:
    """Cross-play of the studies' runs and strategies chosen by selectors (see the module).

    With ``write`` the tables go into the first study's folder (:func:`write_crossplay`).

    Raises:
        CrossPlayError: a selector that names nothing, runs that kept no learners, a match
            between populations of different roles or spaces.
        FileNotFoundError: a folder that is not a study's.

    """
    if not studies:
        raise CrossPlayError("cross-play needs a study folder")
    runs = trained_runs([load_results(path) for path in studies])
    result = cross_play(
        study_players(runs, focal, "--focal"),
        study_players(runs, background, "--background"),
        schedule=schedule,
        focal_role=focal_role,
        focal_agents=focal_agents,
    )
    if write:
        write_crossplay(studies[0], result)
    return result


def study_players(runs: list[Trained], selectors: Sequence[str], option: str) -> list[Player]:
    """The players the selectors name, in order, each once.

    Raises:
        CrossPlayError: naming the option, the selector and what there is instead.

    """
    chosen: dict[str, Player] = {}
    for selector in selectors:
        for player in _select(runs, selector.strip(), option):
            chosen.setdefault(player.id, player)
    return list(chosen.values())


def _select(runs: list[Trained], selector: str, option: str) -> list[Player]:
    if selector.startswith(STRATEGY):
        return [parse_strategy(selector)]
    if not runs:
        raise CrossPlayError(f"{option} {selector!r}: the studies have no finished run")
    if selector == "all":
        return list(runs)
    if "=" in selector:
        key, _, value = selector.partition("=")
        found = [run for run in runs if _matches(run.row, key, value, option)]
    else:
        found = [run for run in runs if run.id == selector]
        if not found and len(selector) >= MIN_PREFIX:
            found = [run for run in runs if run.id.startswith(selector)]
        if len(found) > 1:
            raise CrossPlayError(f"{option} {selector!r}: a prefix of {len(found)} run ids")
        if not found:
            shown = ", ".join(run.id for run in runs[:4]) + (" …" if len(runs) > 4 else "")
            raise CrossPlayError(
                f"{option} {selector!r}: unknown run id; finished runs: {shown} (or 'all', "
                "KEY=VALUE, strategy:NAME)"
            )
    if not found:
        raise CrossPlayError(f"{option} {selector!r} matches no finished run")
    return list(found)


def parse_strategy(text: str) -> Scripted:
    """``strategy:NAME[:k=v,k=v]`` (values read as JSON where they are, else as text)."""
    name, _, rest = text.removeprefix(STRATEGY).partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CrossPlayError(f"{text!r}: parameters are k=v pairs separated by commas")
        try:
            params[key.strip()] = json.loads(value)
        except ValueError:
            params[key.strip()] = value.strip()
    if not name:
        raise CrossPlayError(f"{text!r}: name a strategy, e.g. strategy:tit_for_tat")
    return Scripted(name, params)


def _matches(row: Mapping[str, Any], key: str, value: str, option: str) -> bool:
    if key not in row:
        shown = ", ".join(k for k in row if not k.startswith(("final.", "error", "traceback")))
        raise CrossPlayError(f"{option} {key}={value}: no column {key!r}; columns: {shown}")
    cell = row[key]
    if str(cell) == value:
        return True
    try:
        return float(cell) == float(value)
    except (TypeError, ValueError):
        return False


def trained_runs(studies: list[StudyResults]) -> list[Trained]:
    """Every finished run of the studies as a trained player (damaged runs refused)."""
    several = len(studies) > 1
    runs: list[Trained] = []
    for results in studies:
        infos = {info["run_id"]: info for info in results.store.run_infos()}
        rows = {
            str(row["run_id"]): {str(k): v for k, v in row.items()}
            for row in results.runs.to_dict("records")
        }
        for config in results.configs:
            info = infos.get(config.run_id)
            if info is None or info.get("status") != "done":
                continue
            problem = results.store.intact(info)
            if problem is not None:
                raise CrossPlayError(
                    f"{results.path}: run {config.run_id}: {problem}; rerun the study to redo it"
                )
            runs.append(_trained(results, config, info, rows[config.run_id], several))
    labels = Counter(run.label for run in runs)
    return [
        replace(run, label=f"{run.label} ({run.id[:6]})") if labels[run.label] > 1 else run
        for run in runs
    ]


def _trained(
    results: StudyResults,
    config: RunConfig,
    info: dict[str, Any],
    row: dict[str, Any],
    several: bool,
) -> Trained:
    swept = " · ".join(f"{k.split('.')[-1]}={_shown(v)}" for k, v in config.swept.items())
    cell = " · ".join(filter(None, [results.name if several or not swept else "", swept]))
    folder = results.store.runs_dir / config.run_id
    return Trained(
        id=config.run_id,
        label=f"{cell} · rep {config.replication}",
        cell=cell,
        world=World(config.model, dict(config.model_params)),
        groups=config.groups,
        files=tuple(folder / name for name in info.get("learners", [])),
        row=row,
    )


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind") or value.get("graph") or json.dumps(value, sort_keys=True))
    return str(value)


def write_crossplay(study: str | Path, result: CrossPlay) -> list[Path]:
    """Write the matrix and its summary into the study's folder (atomically); their paths."""
    folder = Path(study)
    return [
        atomic_write(folder / name, lambda p, t=table: t.to_parquet(p, index=False))
        for name, table in ((TABLE_FILE, result.table), (SUMMARY_FILE, result.summary))
    ]


def read_crossplay(study: str | Path) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The study's cross-play matrix and summary, or None where none was computed."""
    folder = Path(study)
    if not (folder / TABLE_FILE).is_file() or not (folder / SUMMARY_FILE).is_file():
        return None
    return pd.read_parquet(folder / TABLE_FILE), pd.read_parquet(folder / SUMMARY_FILE)


def played_runs(table: pd.DataFrame) -> set[str]:
    """The run ids of the trained players in a cross-play table (strategies left out).

    A study run again with ``--fresh`` may no longer hold them: the app says so.
    """
    players = pd.concat([table["focal"], table["background"]]).astype(str)
    return {p for p in players if not p.startswith(STRATEGY)}
