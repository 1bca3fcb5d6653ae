"""The lab's Streamlit app: a thin, cached view over :func:`socialrl.load_results`.

Researchers explore results by looking. ``socialrl app [RESULTS]`` (or ``streamlit run app.py
-- --results RESULTS``) opens eight pages over every study below a results root:

* **Studies** — status, runs done/failed, parameters swept, runtime, manifest;
* **Explore** — learning curves with 95% bands across seeds, final-metric distributions and a
  heatmap over two swept parameters, for any table and metric;
* **Sensitivity** — which parameters matter (Sobol, Morris, δ indices with bootstrap
  intervals), the outcome against each parameter, and PRIM boxes where it crosses a value;
* **Cross-play** — trained populations against other seeds, algorithms and strategies: the
  matrix as a heatmap with the n of every cell, universalization and the gap
  (:mod:`socialrl.study.crossplay`);
* **Ratings** — a league's learner over training: its openskill rating beside the anchors'
  (random play, scripted strategies, an exact solver) and its own past, with the n of runs
  and games behind each point, and the snapshots it trained against (:mod:`socialrl.run.league`);
* **Model views** — one small module per model, declared by its plugin: the maze's learned
  policy beside the optimal one and Dyna-Q's model; price paths and impulse responses; maps of
  coordination; board games replayed move by move;
* **Run** — configure a small study, launch it with a progress bar;
* **Export** — any table, filtered, as CSV or Parquet.

Architecture (each module does one thing, and only the pages import Streamlit widgets):

* :mod:`~socialrl.app.paths` — the results root and the confinement of every path below it;
* :mod:`~socialrl.app.data` — finding, opening and loading studies (cached on path and mtime,
  never pickle, clear :class:`~socialrl.app.data.StudyError` messages for broken studies),
  through the study's own loader (:mod:`socialrl.study.tables`);
* :mod:`~socialrl.app.stats` — curves and heatmaps as tidy frames (downsampled for drawing,
  statistics from every row, by :mod:`socialrl.statistics` like ``StudyResults``);
* :mod:`~socialrl.app.charts` — Plotly figures from those frames;
* :mod:`~socialrl.app.design_analysis` and :mod:`~socialrl.app.design_charts` — a design's
  sensitivity indices, design points and PRIM boxes (cached), and their figures;
* :mod:`~socialrl.app.ratings` — the rating curves over training and their figure;
* :mod:`~socialrl.app.labels` — how parameters and values read on screen;
* :mod:`~socialrl.app.ui` — the sidebar and messages every page shares;
* :mod:`~socialrl.app.main` — page set-up and navigation; ``pages/`` — the pages;
* :mod:`~socialrl.app.views` — a model's view found through its plugin, and the views' toolkit;
* :mod:`~socialrl.app.launch` — ``socialrl app``: ``streamlit run`` on the packaged entry.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ENTRY", "PAGES"]

#: The entry script that ``streamlit run`` executes (the repository's ``app.py`` does the same).
ENTRY = Path(__file__).resolve().parent / "streamlit_app.py"
#: The folder of the page scripts.
PAGES = Path(__file__).resolve().parent / "pages"
