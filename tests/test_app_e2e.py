"""The app in a real browser: ``streamlit run`` on a free port, Debian's Chromium, Playwright.

The test builds a small maze study in a temporary folder, starts the app on it with the
command line of ``socialrl app``, waits for Streamlit's health endpoint, and then, headless, like a
researcher: reads the study's answer on the Studies page; opens Explore (on the study's
question), checks the curves, their bands (never below zero for a length), the n behind each
point, and, faceted, that no two facet titles overlap; opens the model view and checks that
the maze and the policy's arrows are drawn; visits Sensitivity (on this grid design: the
outcome's scatter and a PRIM box, and why there are no indices); downloads the steps table
from Export and reads the file; launches the Run page's default study and checks that its
walkers learned the shortest path. Screenshots of every page go to ``artifacts/e2e/``.

Chromium comes from Debian (``make test`` installs it); Playwright only drives it
(``executable_path``), so ``playwright install`` is never needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from socialrl.study import load_results
from tests.test_app_helpers import build, maze_study

pytest.importorskip("streamlit")
sync_api = pytest.importorskip("playwright.sync_api")

from socialrl.app.launch import command  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHART = "[data-testid='stPlotlyChart'] .main-svg"
WAIT_MS = 90_000
#: The results folder the server was started on (set by the ``server`` fixture).
ROOTS: dict[str, Path] = {}

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a small study, served on a free localhost port; its base URL."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing (make test installs it)")
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    root = tmp_path_factory.mktemp("results")
    build(root, maze_study())  # 500 steps rows per run: more than a curve draws
    ROOTS["results"] = root
    port = _free_port()
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")  # noqa: SIM115
    argv = command(root, port)  # exactly what `socialrl app` runs
    process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    text = Path(log.name).read_text()
                    raise RuntimeError(f"streamlit did not start: {text}") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]  # let charts finish drawing
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


#: Every band's lowest point, per chart: the fills of the Plotly figures on the page.
BAND_MINIMA = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
    gd => (gd.data || []).filter(t => t.fill === 'toself')
        .map(t => Math.min(...Array.from(t.y))))"""

#: The bounding boxes of the first chart's subplot titles (Plotly annotations).
TITLE_BOXES = """() => Array.from(
    document.querySelectorAll('.js-plotly-plot')[0].querySelectorAll('g.annotation')).map(
    a => { const r = a.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _choose(page: object, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first  # type: ignore[attr-defined]
    box.click()
    page.get_by_role("option", name=option, exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]


def test_explore_maze_view_and_download_in_a_real_browser(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2200})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))

    page.goto(server)
    page.get_by_text("runs done").wait_for(timeout=WAIT_MS)
    page.get_by_text("The study's answer").first.wait_for(timeout=WAIT_MS)
    assert page.locator("[data-testid='stDataFrame']").count() >= 2  # overview + the answer
    page.get_by_text("What the columns mean").first.wait_for(timeout=WAIT_MS)
    _shot(page, "studies")

    page.get_by_test_id("stSidebarNav").get_by_text("Explore").click()
    page.locator(CHART).first.wait_for(timeout=WAIT_MS)
    page.get_by_text("per point").first.wait_for(timeout=WAIT_MS)  # the n behind the points
    curves = page.locator("[data-testid='stPlotlyChart']").first
    assert curves.locator("path.js-line").count() >= 1  # the mean curve
    assert curves.locator("path.js-fill").count() >= 1  # its 95% band
    minima = page.evaluate(BAND_MINIMA)[0]
    assert minima and min(minima) >= 0, minima  # episode lengths: no band below zero
    assert page.locator("[data-testid='stException']").count() == 0
    _shot(page, "explore")

    _choose(page, "Table", "steps")
    page.get_by_text("Downsampled for drawing").wait_for(timeout=WAIT_MS)
    _choose(page, "Facet by", "walker.alpha")
    page.locator(CHART).first.wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(1500)
    boxes = page.evaluate(TITLE_BOXES)
    assert len(boxes) >= 2, boxes  # one title per facet
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]), (
        boxes
    )  # readable: no two facet titles overlap
    minima = page.evaluate(BAND_MINIMA)[0]
    assert min(minima) >= 0, minima  # a distance to the goal cannot be negative either
    _shot(page, "explore_faceted")

    page.get_by_test_id("stSidebarNav").get_by_text("Sensitivity").click()
    page.get_by_text("Scenario discovery (PRIM)").wait_for(timeout=WAIT_MS)
    page.get_by_text("Sensitivity indices need a sampled design").wait_for(timeout=WAIT_MS)
    page.get_by_text("coverage").first.wait_for(timeout=WAIT_MS)  # the box's coverage, density
    assert page.locator(CHART).count() >= 2  # the scatter and PRIM's trade-off
    assert page.locator("[data-testid='stException']").count() == 0
    _shot(page, "sensitivity")

    page.get_by_test_id("stSidebarNav").get_by_text("Model views").click()
    page.get_by_text("Learned greedy policy").first.wait_for(timeout=WAIT_MS)
    learned = page.locator("[data-testid='stPlotlyChart']").first
    assert learned.locator(".heatmaplayer image, .hm image").count() >= 1  # the maze's cells
    assert learned.locator("path.point").count() >= 10  # arrowheads, one per open cell
    page.get_by_text("The learned model (Dyna-Q)").wait_for(timeout=WAIT_MS)
    assert page.locator("[data-testid='stException']").count() == 0
    _shot(page, "maze_view")

    page.get_by_test_id("stSidebarNav").get_by_text("Export").click()
    button = page.get_by_role("button", name="Download CSV")
    button.wait_for(timeout=WAIT_MS)
    _shot(page, "export")
    with page.expect_download(timeout=WAIT_MS) as download:
        button.click()
    target = ARTIFACTS / download.value.suggested_filename
    download.value.save_as(target)
    table = pd.read_csv(target)
    assert target.name == "tiny_maze_steps.csv"
    assert {"run_id", "step", "mean_distance_to_goal"} <= set(table.columns)
    assert table["run_id"].nunique() == 8 and len(table) == 8 * 500

    page.get_by_test_id("stSidebarNav").get_by_text("Run").click()
    launch = page.get_by_role("button", name="Launch")
    launch.wait_for(timeout=WAIT_MS)
    _shot(page, "run")
    launch.click()  # the defaults, as a first-time user would
    page.get_by_text("runs done, 0 failed").wait_for(timeout=WAIT_MS)
    _shot(page, "run_done")
    agents = load_results(ROOTS["results"] / "maze_q_learning").agents
    last = agents[agents["step"] == agents.groupby("run_id")["step"].transform("max")]
    assert len(last) and last["greedy_optimal"].all()  # every walker on the shortest path
    assert not errors, errors


def test_crossplay_heatmap_in_a_real_browser(server: str, browser: object) -> None:
    """A coordination study's cross-play, opened on its page: the heatmap and its n."""
    from socialrl.study.crossplay import Schedule, crossplay_study
    from tests.test_crossplay import coordination_study

    study = build(ROOTS["results"], coordination_study("conventions_e2e", replications=3))
    crossplay_study([study], schedule=Schedule(episodes=2, steps=5))
    page = browser.new_page(viewport={"width": 1400, "height": 1600})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{server}/?study=conventions_e2e")
    page.get_by_text("runs done").wait_for(timeout=WAIT_MS)
    page.get_by_test_id("stSidebarNav").get_by_text("Cross-play").click()
    page.locator(CHART).first.wait_for(timeout=WAIT_MS)
    heatmap = page.locator("[data-testid='stPlotlyChart']").first
    assert heatmap.locator(".heatmaplayer image, .hm image").count() >= 1  # the matrix's cells
    for rep in range(3):  # a row and a column per trained run
        assert heatmap.get_by_text(f"conventions_e2e · rep {rep}").count() == 2
    page.get_by_text("n = 2 episodes per cell").wait_for(timeout=WAIT_MS)
    page.get_by_text("Per focal design cell").wait_for(timeout=WAIT_MS)
    assert page.locator("[data-testid='stException']").count() == 0
    _shot(page, "crossplay")
    assert not errors, errors


def _open(browser: object, server: str, study: str, nav: str) -> tuple[object, list[str]]:
    """A new page on ``study``, navigated to the sidebar entry ``nav``; its page errors."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{server}/?study={study}")
    page.get_by_text("runs done").wait_for(timeout=WAIT_MS)
    page.get_by_test_id("stSidebarNav").get_by_text(nav).click()
    return page, errors


def test_board_replay_steps_through_a_game_in_a_real_browser(server: str, browser: object) -> None:
    """Tic-tac-toe, random against the solver: a game replayed move by move with the slider."""
    study = {
        "name": "board_e2e",
        "seed": 3,
        "replications": 1,
        "model": {"name": "board", "params": {"n_games": 4}},
        "population": [
            {
                "name": "solver",
                "role": "player",
                "agents": {"seat": 0},
                "learner": "perfect_player",
            },
            {"name": "random", "role": "player", "agents": {"seat": 1}, "learner": "random"},
        ],
        "run": {"steps": 30, "record_every": 10},
    }
    build(ROOTS["results"], study)
    page, errors = _open(browser, server, "board_e2e", "Model views")
    page.get_by_text("Replay a game").wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    page.get_by_text("after ply").first.wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    board = page.locator("[data-testid='stPlotlyChart']").filter(has_text="after ply").first  # type: ignore[attr-defined]
    full = board.locator("text").all_text_contents()
    slider = page.get_by_role("slider").first  # type: ignore[attr-defined]
    slider.focus()
    slider.press("Home")  # back to the empty board
    page.get_by_text("after ply 0 of").first.wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    empty = page.locator("[data-testid='stPlotlyChart']").filter(has_text="after ply 0").first  # type: ignore[attr-defined]
    stones = lambda texts: sum(t.strip() in ("X", "O") for t in texts)  # noqa: E731
    assert stones(full) >= 5 and stones(empty.locator("text").all_text_contents()) == 0
    slider.press("ArrowRight")  # one ply: the first stone
    page.get_by_text("after ply 1 of").first.wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert page.locator("[data-testid='stException']").count() == 0  # type: ignore[attr-defined]
    _shot(page, "board_replay")
    assert not errors, errors


def test_rating_curve_over_training_in_a_real_browser(
    server: str, browser: object, tmp_path: Path
) -> None:
    """A prisoner's-dilemma league with ratings: the curve of every rated player, with n."""
    from socialrl.study import run_study
    from socialrl.study.spec import load_study
    from tests.test_league import write

    spec, _ = load_study(write(tmp_path, 'of = "learner"\nsnapshot_every = 100', rate_every=200))
    run_study(spec, out=ROOTS["results"], backend="sequential")
    page, errors = _open(browser, server, spec.name, "Ratings")
    page.locator(CHART).first.wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    curve = page.locator("[data-testid='stPlotlyChart']").first  # type: ignore[attr-defined]
    assert curve.locator("g.trace").count() >= 2  # the learner and the anchor at least
    assert curve.get_by_text("tit_for_tat").count() >= 1
    page.get_by_text("of one run").first.wait_for(timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert page.locator("[data-testid='stException']").count() == 0  # type: ignore[attr-defined]
    _shot(page, "ratings")
    assert not errors, errors
