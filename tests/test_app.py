"""The app's pages, run headless with Streamlit's AppTest: every page, on good and broken studies.

Each test starts the real entry script (``app.py``) on a results folder (``SOCIALRL_RESULTS``),
switches to a page and looks at what it drew: charts (their Plotly JSON), metrics, messages.
Streamlit's caches are cleared around every test.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

import streamlit as st
from streamlit.testing.v1 import AppTest

from socialrl.study import load_results
from tests.study_helpers import pricing_study
from tests.test_app_helpers import build, copy_study, maze_study

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
TIMEOUT = 120


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder with one small Dyna-Q maze study (8 runs)."""
    root = tmp_path_factory.mktemp("results")
    build(root, maze_study())
    return root


@pytest.fixture(autouse=True)
def fresh_caches() -> Any:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def app_on(root: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None) -> AppTest:
    """The app started on ``root``, showing ``page`` (a file of socialrl/app/pages)."""
    monkeypatch.setenv("SOCIALRL_RESULTS", str(root))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    if page is not None:
        at.switch_page(f"socialrl/app/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[dict[str, Any]]:
    """The Plotly figures on the page, as JSON."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def array(value: Any) -> np.ndarray:
    """A Plotly JSON array (a list, or a typed array ``{"dtype", "bdata", "shape"}``)."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", len(data))).split(",")]
        return data.reshape(shape)
    return np.asarray(value, dtype=object)


def texts(elements: Any) -> str:
    return "\n".join(str(e.value) for e in elements)


# ---------------------------------------------------------------------- Studies
def test_studies_page_lists_good_partial_and_corrupt_studies(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "results"
    root.mkdir()
    copy_study(built / "tiny_maze", root)
    broken = copy_study(built / "tiny_maze", root, "broken")
    (broken / "manifest.json").write_text("{ not json")
    (root / "half_written" / "runs").mkdir(parents=True)

    at = app_on(root, monkeypatch)
    assert at.title[0].value == "Studies"
    overview = at.dataframe[0].value
    assert set(overview["study"]) == {"tiny_maze", "broken", "half_written"}
    states = dict(zip(overview["study"], overview["state"], strict=True))
    assert states == {"tiny_maze": "complete", "broken": "broken", "half_written": "broken"}
    errors = texts(at.error)
    assert "manifest.json: damaged" in errors and "no manifest.json" in errors
    assert "Traceback" not in errors
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["runs done"] == "8" and metrics["failed"] == "0"
    assert "walker.epsilon" in texts(at.table) or "walker.epsilon" in str(at.table[0].value)


def test_choosing_a_broken_study_shows_a_message_not_a_traceback(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "results"
    root.mkdir()
    study = copy_study(built / "tiny_maze", root)
    (study / "runs" / next(p.name for p in (study / "runs").iterdir()) / "run.json").write_text("{")
    at = app_on(root, monkeypatch)  # one damaged run: the study is shown without it, and says so
    assert "1 finished run(s) cannot be read" in texts(at.warning)
    at = app_on(root, monkeypatch, "explore")
    assert not at.error
    (study / "manifest.json").write_text("{ not json")  # a damaged manifest: a message
    st.cache_data.clear()
    at = app_on(root, monkeypatch, "explore")
    assert "manifest.json: damaged" in texts(at.error) or "No study" in texts(at.info)


def test_empty_results_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_on(tmp_path / "nothing_yet", monkeypatch)
    assert "No studies" in texts(at.info)


def test_sidebar_refuses_a_folder_outside_the_results_root(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_on(built, monkeypatch)
    at.text_input(key="results_root").set_value("/").run()
    assert not at.exception
    assert "outside" in texts(at.sidebar.error)
    at.text_input(key="results_root").set_value("../..").run()
    assert "outside" in texts(at.sidebar.error)
    assert at.selectbox(key="study").value == "tiny_maze"  # still the launch root's study


# ---------------------------------------------------------------------- Explore
def test_explore_draws_curves_with_bands_distributions_and_a_heatmap(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_on(built, monkeypatch, "explore")
    # It opens on the study's question (the maze plugin's headline: episode lengths).
    assert at.selectbox(key="explore_table").value == "episodes"
    assert at.selectbox(key="explore_metric_episodes").value == "length"
    at.selectbox(key="explore_table").set_value("steps").run()
    figures = charts(at)
    assert len(figures) == 4  # curves, per-run distribution, every-row histogram, heatmap
    curves = figures[0]["data"]
    assert any(t.get("fill") == "toself" for t in curves), "no confidence band"
    assert any(t.get("mode") == "lines" and len(array(t["x"])) <= 400 for t in curves)
    captions = texts(at.caption)
    assert "Downsampled for drawing" in captions and "every row enters" in captions
    heat = figures[3]["data"][0]
    assert heat["type"] == "heatmap" and array(heat["z"]).shape == (2, 2)

    at.selectbox(key="explore_colour").set_value("population.walker.epsilon").run()
    assert not at.exception
    names = {t.get("name") for t in charts(at)[0]["data"] if t.get("mode") == "lines"}
    assert {"0.1", "0.3"} <= names

    at.selectbox(key="explore_table").set_value("episodes").run()
    assert not at.exception
    assert at.selectbox(key="explore_x_episodes").value == "end_step"
    assert len(charts(at)) == 4


# ---------------------------------------------------------------------- Model views
def test_maze_view_draws_learned_and_optimal_policies_and_the_learned_model(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_on(built, monkeypatch, "models")
    assert at.title[0].value.startswith("Maze")
    figures = charts(at)
    assert len(figures) == 4  # learned policy, optimal policy, learned model, shares
    titles = [f["layout"]["title"]["text"] for f in figures[:3]]
    assert titles[0].startswith("Learned greedy policy") and titles[1].startswith("Optimal")
    heads = [t for t in figures[0]["data"] if t.get("name") == "policy"]
    assert heads and len(array(heads[0]["x"])) >= 10  # one arrow per open, non-goal cell
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["shortest path (BFS)"] == "7 moves"
    assert "state–action pairs in the model" in metrics

    at.selectbox(key="maze_walker").set_value(2).run()
    assert not at.exception
    assert "walker 2" in charts(at)[0]["layout"]["title"]["text"]


def test_maze_view_without_policy_tables_says_so(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "results"
    study = copy_study(built / "tiny_maze", root)
    for path in (study / "runs").glob("*/policy.parquet"):
        path.unlink()
    at = app_on(root, monkeypatch, "models")
    assert "no `policy` table" in texts(at.info)


def _view(root: str, view: str, study: str = "tiny_maze") -> None:
    """AppTest script: the view of model ``view`` (its plugin's) on the study ``study``."""
    from pathlib import Path

    from socialrl.app.data import open_study
    from socialrl.app.views import view_for

    module = view_for(view)
    assert module is not None, f"model {view!r} has no view"
    module.render(open_study(Path(root), study))


@pytest.mark.parametrize(
    ("view", "missing"),
    [("pricing", ["no `markets` table", "no `impulse` table"]), ("coordination", ["share_"])],
)
def test_pricing_and_coordination_views_say_which_table_is_missing(
    built: Path, view: str, missing: list[str]
) -> None:
    at = AppTest.from_function(_view, args=(str(built), view), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    infos = texts(at.info)
    for text in missing:
        assert text in infos


def test_pricing_view_draws_delta_and_impulse_response_from_its_tables(
    built: Path, tmp_path: Path
) -> None:
    study = copy_study(built / "tiny_maze", tmp_path)
    for k, run in enumerate(sorted((study / "runs").iterdir())):
        markets = pd.DataFrame(
            {
                "market": [0, 0, 1, 1],
                "firm": [0, 1, 0, 1],
                "delta": [0.8, 0.8, 0.6 + k / 100, 0.6 + k / 100],
                "price_mean": [1.8, 1.8, 1.7, 1.7],
                "cycle_length": [1, 1, 2, 2],
                "converged": [True] * 4,
                "converged_at": [900] * 4,
                "p_nash": [1.47] * 4,
                "p_monopoly": [1.92] * 4,
            }
        )
        markets.to_parquet(run / "markets.parquet")
        tau = list(range(5))
        impulse = pd.DataFrame(
            {
                "market": [0] * 10,
                "firm": [0] * 5 + [1] * 5,
                "tau": tau * 2,
                "price": [1.8, 1.5, 1.6, 1.7, 1.8, 1.8, 1.8, 1.5, 1.6, 1.8],
            }
        )
        impulse.to_parquet(run / "impulse.parquet")
    at = AppTest.from_function(_view, args=(str(tmp_path), "pricing"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    figures = charts(at)
    delta = next(f for f in figures if f["layout"].get("title", {}).get("text") == "Δ per market")
    assert array(delta["data"][0]["y"]).sum() == 16  # 2 markets × 8 runs
    impulse = figures[-1]
    assert {t.get("name") for t in impulse["data"]} >= {"deviating firm", "rival"}
    assert {m.label for m in at.metric} >= {"markets", "mean Δ", "converged"}


def test_pricing_view_on_a_real_pricing_study(tmp_path: Path) -> None:
    """A tiny Calvano study (4 markets × 2 seeds, fast exploration decay) through the view."""
    build(
        tmp_path,
        {
            "name": "tiny_pricing",
            "seed": 3,
            "replications": 2,
            "model": {"name": "pricing", "params": {"n_markets": 4, "m": 5}},
            "population": [
                {
                    "role": "firm",
                    "learner": "q_learning",
                    "params": {
                        "alpha": 0.15,
                        "epsilon": {"kind": "exponential", "beta": 2e-3},
                        "init": "model",
                    },
                }
            ],
            "run": {
                "steps": 50_000,
                "stop_when_stable": 500,
                "record_every": 200,
                "snapshot_every": 200,
            },
        },
    )
    at = AppTest.from_function(
        _view, args=(str(tmp_path), "pricing", "tiny_pricing"), default_timeout=TIMEOUT
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    titles = [f["layout"].get("title", {}).get("text") for f in charts(at)]
    assert "Δ per market" in titles
    assert {m.label for m in at.metric} >= {"markets", "mean Δ", "converged"}
    assert not any("no `" in text for text in texts(at.info))  # every table was there


def test_coordination_view_animates_the_grid(built: Path, tmp_path: Path) -> None:
    study = copy_study(built / "tiny_maze", tmp_path)
    for run in (study / "runs").iterdir():
        cells = [(r, c) for r in range(4) for c in range(4)]
        agents = pd.DataFrame(
            [
                {"step": s, "agent": i, "row": r, "col": c, "action": (i + s // 10) % 2}
                for s in (10, 20, 30)
                for i, (r, c) in enumerate(cells)
            ]
        )
        agents.to_parquet(run / "agents.parquet")
        steps = pd.read_parquet(run / "steps.parquet")
        steps["share_stag"] = 0.5
        steps["share_hare"] = 0.5
        steps.to_parquet(run / "steps.parquet")
    at = AppTest.from_function(_view, args=(str(tmp_path), "coordination"))
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    grid, shares = charts(at)
    assert len(grid["frames"]) == 3 and grid["layout"]["sliders"]
    assert {t.get("name") for t in shares["data"]} >= {"stag", "hare"}


# ---------------------------------------------------------------------- Run
def test_run_page_launches_a_study_that_appears_under_studies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "results"
    at = app_on(root, monkeypatch, "run")
    at.text_input(key="run_name").set_value("from_the_app")
    at.text_input(key="run_values").set_value("0.1, 0.5")
    at.number_input(key="run_seeds").set_value(1)
    at.number_input(key="run_steps").set_value(60)
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)
    assert "2 runs done, 0 failed" in texts(at.success)
    assert (root / "from_the_app" / "manifest.json").exists()
    assert len(list((root / "from_the_app" / "runs").iterdir())) == 2

    at.switch_page("socialrl/app/pages/studies.py").run()
    assert not at.exception
    assert at.selectbox(key="study").value == "from_the_app"
    assert "from_the_app" in set(at.dataframe[0].value["study"])

    # The same name again is refused (no silent mixing of two studies in one folder).
    at.switch_page("socialrl/app/pages/run.py").run()
    at.text_input(key="run_name").set_value("from_the_app")
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert "exists already" in texts(at.error)


def test_run_pages_defaults_learn_and_use_study_file_sweep_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first launch, as it comes: the maze walkers end on the shortest path."""
    from socialrl.study import load_results

    root = tmp_path / "results"
    at = app_on(root, monkeypatch, "run")
    assert at.selectbox(key="run_sweep").value == "population.walker.epsilon"
    assert at.number_input(key="run_steps").value == 10_000
    reference = texts(at.markdown)
    assert "model `maze`" in reference and "learner `q_learning`" in reference
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error, texts(at.error)
    results = load_results(root / "maze_q_learning")
    assert results.swept == ["population.walker.epsilon"]
    agents = results.agents
    last = agents[agents["step"] == agents.groupby("run_id")["step"].transform("max")]
    assert len(last) == 4 * 4 and last["greedy_optimal"].all()  # 4 runs × 4 walkers


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("run_name", "..", "study name '..'"),
        ("run_name", "a/b", "study name 'a/b'"),
        ("run_name", "", "study name ''"),
        ("run_values", "", "give the values"),
        ("run_values", "0.1, 7", "epsilon"),
    ],
)
def test_run_page_refuses_bad_input_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, value: str, message: str
) -> None:
    at = app_on(tmp_path, monkeypatch, "run")
    at.text_input(key=field).set_value(value)
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert message in texts(at.error)
    assert not (tmp_path.parent / "b").exists() and not any(tmp_path.parent.glob("*/manifest.json"))


# ---------------------------------------------------------------------- Export
def test_export_page_filters_and_offers_csv_and_parquet(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_on(built, monkeypatch, "export")
    labels = [b.label for b in at.download_button]
    assert labels == ["Download CSV", "Download Parquet"]
    assert "**4,000** of 4,000 rows · 8 runs" in texts(at.markdown)
    at.multiselect(key="export_steps_population.walker.epsilon").set_value([0]).run()
    assert "**2,000** of 4,000 rows · 4 runs" in texts(at.markdown)
    at.selectbox(key="export_table").set_value("runs").run()
    assert "**8** of 8 rows" in texts(at.markdown)


def test_export_files_round_trip() -> None:
    from socialrl.app.pages import export

    frame = pd.DataFrame({"run_id": pd.Categorical(["a", "b"]), "step": [1, 2], "x": [0.5, 1.5]})
    assert pd.read_csv(io.BytesIO(export._csv(frame)))["x"].tolist() == [0.5, 1.5]
    back = pd.read_parquet(io.BytesIO(export._parquet(frame)))
    assert back["run_id"].astype(str).tolist() == ["a", "b"]


# ---------------------------------------------------------------------- the study's answer
def test_studies_page_opens_with_the_studys_answer_and_explains_its_columns(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_on(built, monkeypatch)
    assert "The study's answer" in texts(at.markdown)
    answer = at.dataframe[1].value  # after the overview of studies
    assert {"episodes_mean", "learned_share", "runs"} <= set(answer.columns)
    helps = {
        name: column.get("help")
        for name, column in json.loads(at.dataframe[1].proto.columns).items()
        if isinstance(column, dict)
    }
    assert "greedy path" in (helps.get("learned_share") or "")
    assert "learned_share" in texts(at.markdown)  # the "what the columns mean" list


def test_an_unknown_study_in_the_url_says_so(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALRL_RESULTS", str(built))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["study"] = "no_such_study"
    at.run()
    assert not at.exception
    assert "There is no study 'no_such_study'" in texts(at.warning)


def test_a_single_runs_folder_is_named_with_how_to_read_it(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialrl import QLearning, simulate

    root = tmp_path / "results"
    root.mkdir()
    copy_study(built / "tiny_maze", root)
    run = simulate("maze", {"layout": "S..G"}, {"walker": QLearning()}, steps=20, seed=0)
    run.to_parquet(root / "my_run")
    at = app_on(root, monkeypatch)
    info = texts(at.info)
    assert "`my_run` holds the tables of one `simulate(...)` run" in info
    assert "Results.read(" in info


# ---------------------------------------------------------------------- the unit of analysis
def test_explore_is_over_markets_with_n_shown_and_never_pools_silently(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "results"
    build(root, pricing_study("few_sessions", n_markets=5, seed=3))
    at = app_on(root, monkeypatch, "explore")
    assert at.selectbox(key="explore_table").value == "markets"  # the pricing headline
    assert at.selectbox(key="explore_metric_markets").value == "delta"
    captions = texts(at.caption)
    assert "markets (each market of each run) behind each row" in captions
    summary = at.dataframe[0].value
    assert summary["n"].tolist() == [10]  # 5 markets × 2 runs, not 2 runs

    at = app_on(built, monkeypatch, "explore")  # two swept parameters, coloured by one
    at.selectbox(key="explore_table").set_value("steps").run()
    assert "Pooled over" in texts(at.warning)
    assert "n = 4–4 runs (seeds) per point" in texts(at.caption)  # 2 values × 2 seeds, pooled
    at.selectbox(key="explore_facet").set_value(
        next(k for k in at.selectbox(key="explore_facet").options if k != "(none)")
    ).run()
    assert "Pooled over" not in texts(at.warning)
    assert "n = 2–2 runs (seeds) per point" in texts(at.caption)


def test_pricing_map_shows_delta_periods_and_share_converged_over_alpha_and_beta(
    tmp_path: Path,
) -> None:
    """Calvano's Figure 1 view: each cell the mean over its markets, n = markets in the hover."""
    grid = {"population.firm.alpha": [0.1, 0.3], "population.firm.epsilon.beta": [5e-3, 1e-2]}
    build(tmp_path, pricing_study("tiny_map", n_markets=3, seed=4, sweep={"grid": grid}))
    at = AppTest.from_function(
        _view, args=(str(tmp_path), "pricing", "tiny_map"), default_timeout=TIMEOUT
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    heat = next(f for f in charts(at) if f["data"][0]["type"] == "heatmap")
    z = array(heat["data"][0]["z"]).astype(float)
    assert z.shape == (2, 2) and (array(heat["data"][0]["customdata"]).astype(float) == 6).all()
    markets = load_results(tmp_path / "tiny_map").table("markets")
    cell = markets[
        (markets["population.firm.alpha"] == 0.1)
        & (markets["population.firm.epsilon.beta"] == 5e-3)
    ]
    assert z[0, 0] == pytest.approx(cell.groupby(["run_id", "market"])["delta"].mean().mean())
    assert "Calvano et al. 2020, Figure 1" in texts(at.markdown)
    assert "(centre)" in texts(at.caption)
    at.radio(key="pricing_map").set_value("share converged").run()
    heat = next(f for f in charts(at) if f["data"][0]["type"] == "heatmap")
    share = array(heat["data"][0]["z"]).astype(float)
    assert ((share >= 0) & (share <= 1)).all()
