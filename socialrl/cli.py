"""The ``socialrl`` command: run, list, show and export studies; open the app on them.

    socialrl run studies/maze_learning.toml [--backend local|sequential|ray] [--workers N]
                 [--out results] [--resume/--fresh] [--address ray://host:10001]
    socialrl list
    socialrl show results/maze_learning
    socialrl export results/maze_learning --format csv [--to exports/maze_learning]
    socialrl app [results] [--port 8501]
    socialrl tournament studies/axelrod_tournament.toml [--out results]
    socialrl crossplay results/crossplay_coordination [--focal all] [--background all]
                       [--episodes 10] [--steps 100]

Errors in a study (unknown keys, wrong types, unknown names, parameters a model does not take,
an empty sweep) are one line naming the file and key, before any run starts; the exit code is 2.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from socialrl import registry
from socialrl.plugins import discover, load
from socialrl.terminal import glossary_lines, layout

app = typer.Typer(
    help="socialrl: learning agents in Mesa models — run studies, inspect and export results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# The terminal's width (80 where it cannot be told, e.g. in a pipe; $COLUMNS overrides).
console = Console()
errors = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    """Print each line of ``message`` as one error (a spec may have several) and exit."""
    for line in message.splitlines() or [message]:
        errors.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True, markup=True)
    raise typer.Exit(code)


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="A study file (.toml or .py).")],
    backend: Annotated[str, typer.Option(help="local | sequential | ray")] = "local",
    workers: Annotated[int | None, typer.Option(help="Worker processes (default: cores).")] = None,
    out: Annotated[Path, typer.Option(help="Root folder of results.")] = Path("results"),
    resume: Annotated[
        bool, typer.Option("--resume/--fresh", help="Skip finished runs, or start afresh.")
    ] = True,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address (default: $RAY_ADDRESS).")
    ] = None,
    max_runs: Annotated[
        int, typer.Option(help="Refuse a study that expands to more runs than this.")
    ] = 200_000,
) -> None:
    """Run a study (resuming by default): sweep × seeds, results under OUT/<study name>/."""
    from socialrl.study import ResultsError, SpecError, StudyLockedError, run_study
    from socialrl.study.backends import BackendError

    if backend not in ("local", "sequential", "ray"):
        _fail(f"--backend must be local, sequential or ray, got {backend!r}")
    with _progress_bars() as progress:
        on_start, on_outcome, on_progress = _progress_callbacks(progress)
        try:
            report = run_study(
                study,
                out=out,
                backend=backend,
                workers=workers,
                address=address,
                resume=resume,
                max_runs=max_runs,
                on_start=on_start,
                on_outcome=on_outcome,
                on_progress=on_progress if backend != "ray" else None,
            )
        except (SpecError, StudyLockedError, ResultsError, BackendError) as err:
            _fail(str(err))
            return
    console.print(
        f"{report.path}: {report.done} runs done, {report.failed} failed, "
        f"{report.skipped} skipped (already finished) in {report.seconds:.1f} s"
    )
    _print_summary(report.path)
    if report.failed:
        raise typer.Exit(1)


def _progress_bars() -> Progress:
    """The bars ``run`` shows: one over the study's runs, and one per run in flight.

    Built here so that ``run`` holds only what the command does; the bars stay on screen
    (``transient=False``) once the study is over.
    """
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _progress_callbacks(
    progress: Progress,
) -> tuple[Callable[[int, int], None], Callable[[object], None], Callable[[str, int, int], None]]:
    """``run_study``'s ``on_start``, ``on_outcome`` and ``on_progress``, drawing on ``progress``.

    Kept apart from ``run`` so that the command reads as what it does (validate, run, report)
    while the bookkeeping of tasks (the overall bar, one bar per run in flight) stays here.
    """
    overall: list[TaskID] = []
    within: dict[str, TaskID] = {}

    def on_start(todo: int, skipped: int) -> None:
        # Called once per round: adaptive replications add rounds while points need them.
        if overall:
            progress.update(overall[-1], visible=False)
            label = f"round {len(overall) + 1}"
        else:
            label = "runs"
        if skipped:
            where = "resuming" if label == "runs" else label
            progress.console.print(f"{where}: {skipped} finished runs skipped")
        overall.append(progress.add_task(label, total=todo))

    def on_outcome(outcome: object) -> None:
        run_id = outcome.run_id  # type: ignore[attr-defined]
        if run_id in within:
            progress.remove_task(within.pop(run_id))
        if outcome.status == "failed":  # type: ignore[attr-defined]
            error = outcome.info.get("error")  # type: ignore[attr-defined]
            progress.console.print(f"[red]run {run_id} failed:[/] {error}", highlight=False)
        progress.advance(overall[-1])

    def on_progress(run_id: str, step: int, total: int) -> None:
        if run_id not in within:
            within[run_id] = progress.add_task(f"  run {run_id[:8]}", total=total or None)
        progress.update(within[run_id], completed=step)

    return on_start, on_outcome, on_progress


@app.command("list")
def list_things(
    studies: Annotated[Path, typer.Option(help="Folder of study files.")] = Path("studies"),
) -> None:
    """List the models (with their plugins), learners, strategies and study files there are."""
    table = Table("kind", "name", title="socialrl")
    for column in ("where", "from", "about"):
        table.add_column(column, overflow="fold")
    found = discover()
    for name, f in sorted(found.plugins.items()):
        ids = ", ".join(f.plugin.env_ids)
        about = f.plugin.description + (f" · Gymnasium: {ids}" if ids else "")
        table.add_row("model", name, f.plugin.model, f.distribution, about)
    for b in found.broken:
        table.add_row(
            "model", b.name, b.entry_point, b.distribution, f"[red]not loaded:[/] {b.error}"
        )
    for name, target in sorted(registry.LEARNERS.items()):
        table.add_row("learner", name, target, "socialrl", "")
    for name, f in sorted(found.plugins.items()):
        for strategy, target in sorted(f.plugin.strategies.items()):
            table.add_row("strategy", strategy, target, f.distribution, f"offered by model {name}")
    for path in sorted([*studies.glob("*.toml"), *studies.glob("*.py")]):
        if not path.name.startswith("_"):
            kind = "tournament" if _is_tournament(path) else "study"
            about = f"socialrl tournament {path}" if kind == "tournament" else ""
            table.add_row(kind, path.stem, str(path), "", about)
    console.print(table)


def _is_tournament(path: Path) -> bool:
    """Whether a TOML file in the studies folder describes a tournament (it lists players)."""
    if path.suffix != ".toml":
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "players" in data and "model" not in data


@app.command()
def show(
    results: Annotated[Path, typer.Argument(help="A study's results folder.")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Say what each column of the summary means.")
    ] = False,
    sensitivity: Annotated[
        str | None,
        typer.Option(help="Sensitivity indices of this outcome (a sampled design's study)."),
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="sobol | morris | delta (default: the design's).")
    ] = None,
    table: Annotated[str, typer.Option(help="The table the outcome is in.")] = "steps",
    scenario: Annotated[
        str | None,
        typer.Option(help="PRIM boxes where this outcome is --above or --below a value."),
    ] = None,
    above: Annotated[float | None, typer.Option(help="Cases: outcome above this.")] = None,
    below: Annotated[float | None, typer.Option(help="Cases: outcome below this.")] = None,
) -> None:
    """Status of a study's runs and its summary (or sensitivity indices, or PRIM boxes)."""
    if scenario is not None:
        _print_scenarios(results, scenario, table, above, below)
        return
    if sensitivity is None:
        _print_summary(results, explain)
        return
    from socialrl.study import ResultsError, load_results
    from socialrl.study.sensitivity import SensitivityError

    try:
        indices = load_results(results).sensitivity(sensitivity, method, table)
    except (FileNotFoundError, ResultsError, SensitivityError, KeyError) as err:
        _fail(str(err).strip("'\""))
        return
    title = f"{results.name}: sensitivity of {sensitivity} ({table})"
    for part in layout(indices, title, console.width):
        console.print(part)
    console.print("(conf: half-width of the 95% bootstrap interval; n: sample rows)", style="dim")


@app.command()
def export(
    results: Annotated[Path, typer.Argument(help="A study's results folder.")],
    format: Annotated[str, typer.Option("--format", help="csv | parquet")] = "csv",
    to: Annotated[
        Path | None, typer.Option(help="Target folder (default: RESULTS/export).")
    ] = None,
) -> None:
    """Write the runs, steps, episodes and agents tables as CSV or Parquet files."""
    from socialrl.study import ResultsError, load_results

    if format not in ("csv", "parquet"):
        _fail(f"--format must be csv or parquet, got {format!r}")
    try:
        loaded = load_results(results)
    except (FileNotFoundError, ResultsError) as err:
        _fail(str(err))
        return
    for path in loaded.export(to or results / "export", format):
        console.print(str(path))


@app.command()
def tournament(
    file: Annotated[Path, typer.Argument(help="A tournament file (.toml).")],
    out: Annotated[Path, typer.Option(help="Root folder of results.")] = Path("results"),
) -> None:
    """Play an Axelrod-style round robin (and a Moran process): tables under OUT/<name>/."""
    from socialrl.tournament.runner import run_tournament, write_tables
    from socialrl.tournament.spec import TournamentSpecError, load_tournament

    try:
        spec = load_tournament(file)
    except TournamentSpecError as err:
        _fail(str(err))
        return
    played = run_tournament(spec)
    written = write_tables(played, out)
    title = f"{spec.name}: ranking by median score per turn over repetitions (n)"
    for part in layout(played.results.summary(), title, console.width):
        console.print(part)
    console.print(f"{written[0].parent}: {len(written)} files in {played.seconds:.1f} s")


@app.command()
def crossplay(
    studies: Annotated[
        list[Path], typer.Argument(help="Study results folders; the tables go into the first.")
    ],
    focal: Annotated[
        list[str] | None,
        typer.Option(help="Focal populations: all, a run id, KEY=VALUE, strategy:NAME[:k=v,…]."),
    ] = None,
    background: Annotated[
        list[str] | None, typer.Option(help="Who they meet (same forms; default: all).")
    ] = None,
    episodes: Annotated[int, typer.Option(help="Episodes per match.")] = 10,
    steps: Annotated[int, typer.Option(help="Steps per episode.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of every match's episodes.")] = 0,
    focal_role: Annotated[str | None, typer.Option(help="The role the focal holds.")] = None,
    focal_agents: Annotated[
        str | None, typer.Option(help='Its slots (JSON): [0, 2] or {"firm": 1}.')
    ] = None,
) -> None:
    """Cross-play: trained populations against other seeds, algorithms, strategies, themselves."""
    import json

    from socialrl.study import ResultsError
    from socialrl.study.crossplay import TABLE_FILE, CrossPlayError, Schedule, crossplay_study

    try:
        agents = None if focal_agents is None else json.loads(focal_agents)
    except ValueError:
        _fail(f'--focal-agents must be JSON ([0, 2] or {{"firm": 1}}), got {focal_agents!r}')
        return
    try:
        result = crossplay_study(
            studies,
            focal or ["all"],
            background or ["all"],
            schedule=Schedule(episodes, steps, seed),
            focal_role=focal_role,
            focal_agents=agents,
        )
    except (CrossPlayError, FileNotFoundError, ResultsError, ValueError) as err:
        _fail(str(err))
        return
    _print_crossplay(result, studies[0] / TABLE_FILE)


def _print_crossplay(result: Any, path: Path) -> None:
    """The matrix (where it fits the terminal) and the summary per focal design cell."""
    from socialrl.study.crossplay import payoff_matrix

    table = result.table
    matrix = payoff_matrix(table).reset_index()
    low, high = int(table["n"].min()), int(table["n"].max())
    n = str(low) if low == high else f"{low}–{high}"
    title = (
        f"focal payoff (rows) against each background (n = {n} {table['unit'].iloc[0]}s per cell)"
    )
    parts = layout(matrix, title, console.width)
    if len(parts) == 1:  # a matrix too wide for the terminal is left to the table and the app
        console.print(parts[0])
    else:
        console.print(
            f"({matrix.shape[0]} × {matrix.shape[1] - 1} matrix: see the app's Cross-play page)",
            style="dim",
        )
    for part in layout(result.summary, "per focal design cell", console.width):
        console.print(part)
    console.print(f"{path}: {len(table)} matches")


@app.command("app")
def open_app(
    results: Annotated[Path, typer.Argument(help="Results folder (its studies are shown).")] = Path(
        "results"
    ),
    port: Annotated[
        int | None, typer.Option(help="Port (default: 8501, or the next free one).")
    ] = None,
    address: Annotated[
        str, typer.Option(help="Address to listen on (default: this machine only).")
    ] = "127.0.0.1",
) -> None:
    """Open the analysis app (Streamlit) on a results folder, printing its URL; Ctrl-C stops it."""
    import importlib.util

    if importlib.util.find_spec("streamlit") is None or importlib.util.find_spec("plotly") is None:
        _fail("the app needs the 'app' extra: pip install 'socialrl[app]'")
    from socialrl.app.launch import serve

    code = serve(results, port, address)
    if code:
        raise typer.Exit(code)


def _print_summary(path: Path, explain: bool = False) -> None:
    from socialrl.study import ResultsError, load_results

    try:
        loaded = load_results(path)
    except (FileNotFoundError, ResultsError) as err:
        _fail(str(err))
        return
    status = loaded.status()
    damaged = f", {status['damaged']} damaged" if status["damaged"] else ""
    console.print(
        f"[bold]{loaded.name}[/]: {status['done']} done, {status['failed']} failed, "
        f"{status['pending']} pending{damaged} — {path}",
        highlight=False,
    )
    failed = loaded.runs[loaded.runs["status"] == "failed"]
    for _, row in failed.head(5).iterrows():
        console.print(f"  [red]failed[/] {row['run_id']}: {row['error']}", highlight=False)
    for run_id, why in list(loaded.damaged.items())[:5]:
        console.print(f"  [red]damaged[/] {run_id}: {why} (run the study again to redo it)")
    _print_adaptive(loaded)
    plugin = registry.plugin_for(loaded.spec.model.name)
    if plugin is None or plugin.summary is None or status["done"] == 0:
        return
    summary = load(plugin.summary)(loaded)
    # A summary is one table, or several titled ones (e.g. outcomes and an impulse response).
    tables = summary if isinstance(summary, dict) else {"summary": summary}
    for title, table in tables.items():
        for part in layout(table, f"{loaded.name}: {title}", console.width):
            console.print(part)
        if explain:
            columns = [str(c) for c in table.columns]
            for line in glossary_lines(columns, plugin.glossary, loaded.swept):
                console.print(f"  {line}", highlight=False, markup=False)
    if not explain:
        console.print("(socialrl show --explain says what each column means)", style="dim")


def _print_scenarios(
    path: Path, outcome: str, table: str, above: float | None, below: float | None
) -> None:
    """Scenario discovery: PRIM's box, its limits, coverage and density."""
    from socialrl.study import ResultsError, load_results
    from socialrl.study.scenarios import ScenarioError

    try:
        found = load_results(path).scenarios(outcome, above=above, below=below, table=table)
    except (FileNotFoundError, ResultsError, ScenarioError) as err:
        _fail(str(err))
        return
    cases = int(found.points["case"].sum())
    title = f"{path.name}: where {found.rule} ({cases} of {len(found.points)} design points)"
    for part in layout(found.boxes, title, console.width):
        console.print(part)
    limits = found.limits[found.limits["restricted"]]
    for part in layout(limits, "the box's limits (parameters it restricts)", console.width):
        console.print(part)
    console.print(
        "(coverage: share of the cases inside the box; density: share of its points that are "
        "cases; PRIM, EMA Workbench)",
        style="dim",
    )


def _print_adaptive(loaded: Any) -> None:
    """Adaptive replications: each point's final n, its interval and why it stopped."""
    rule = loaded.spec.adaptive
    table = loaded.adaptive if rule is not None else None
    if table is None or table.empty:
        return
    shown = table.drop(columns=["sd"]).rename(columns={"n": "units"})
    title = (
        f"{loaded.name}: adaptive replications, {rule.table}.{rule.outcome} "
        f"to ± {rule.half_width:g} (95%), batches of {rule.batch or loaded.spec.replications}, "
        f"cap {rule.max_replications}"
    )
    for part in layout(shown, title, console.width):
        console.print(part)
    counts = table["decision"].value_counts()
    console.print(
        ", ".join(f"{counts.get(k, 0)} {k}" for k in ("precise", "cap", "more"))
        + " (precise: within the target; cap: at max_replications; more: interrupted)",
        style="dim",
    )


def main() -> None:
    """Entry point of the ``socialrl`` script."""
    app()


if __name__ == "__main__":
    main()
