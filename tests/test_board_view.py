"""The board view in the app (Streamlit's AppTest): outcome shares, and a game replayed ply by ply.

A tiny study is run (the exact solver against random play, both sides), then the view is
rendered on it headless: the outcome chart has a bar per outcome and setting, and the replay's
slider redraws the board as it stood after the chosen ply.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("plotly")

from streamlit.testing.v1 import AppTest

from tests.test_app import array
from tests.test_app_helpers import build

TIMEOUT = 120


@pytest.fixture(scope="module")
def board_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two settings (who opens) × 2 seeds of 4 tic-tac-toe boards, 40 plies each."""
    root = tmp_path_factory.mktemp("results")
    build(
        root,
        {
            "name": "tiny_board",
            "seed": 2,
            "replications": 2,
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
            "sweep": {"grid": {"model.first": [0, 1]}},
            "run": {"steps": 40, "record_every": 10},
        },
    )
    return root


def _view(root: str) -> None:
    """AppTest script: the board plugin's view of the study ``tiny_board``."""
    from pathlib import Path

    from socialrl.app.data import open_study
    from socialrl.app.views import view_for

    module = view_for("board")
    assert module is not None, "the board model has no view"
    module.render(open_study(Path(root), "tiny_board"))


def _figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _stones(figure: dict[str, Any]) -> int:
    """Stones on the drawn board (non-zero cells of the heatmap)."""
    return int((array(figure["data"][0]["z"]).astype(float) != 0).sum())


def test_board_view_draws_outcomes_and_replays_a_game_ply_by_ply(board_study: Path) -> None:
    at = AppTest.from_function(_view, args=(str(board_study),), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    outcomes, replay = _figures(at)
    bars = outcomes["data"]
    assert len(bars) == 2 and all(list(b["x"]) == ["first", "draw", "second"] for b in bars)
    opener = array(bars[0]["y"]).astype(float)
    assert opener[2] == 0  # the solver opens (seat 0, first = 0) and never loses
    assert {m.label for m in at.metric} == {"games", "runs"}

    slider = at.slider(key="board_ply")
    length = slider.max
    assert slider.value == length and _stones(replay) == length  # opens on the final board
    assert replay["layout"]["shapes"], "the last stone is outlined"
    slider.set_value(0).run()
    assert not at.exception
    assert _stones(_figures(at)[1]) == 0 and not _figures(at)[1]["layout"].get("shapes")
    at.slider(key="board_ply").set_value(3).run()
    board = _figures(at)[1]
    assert _stones(board) == 3
    z = array(board["data"][0]["z"]).astype(int)
    assert (z == 1).sum() == 2 and (z == 2).sum() == 1  # X, O, X
    assert "after ply 3 of" in board["layout"]["title"]["text"]

    games = at.selectbox(key="board_game")
    assert len(games.options) == 4 * 3  # the last 3 games of each of the 4 boards
    assert games.options[0].startswith("board 0, game")
    lengths = []
    for choice in range(len(games.options)):  # every game, the slider at its last ply
        at.selectbox(key="board_game").set_value(choice).run()
        assert not at.exception, [e.value for e in at.exception]
        slider = at.slider(key="board_ply")
        slider.set_value(slider.max).run()
        board = _figures(at)[1]
        assert _stones(board) == slider.max
        assert board["layout"]["title"]["text"].startswith(f"board {choice // 3}, game")
        lengths.append(slider.max)
    assert len(set(lengths)) > 1  # games of different lengths, one slider
