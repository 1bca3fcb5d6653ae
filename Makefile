# Two commands do everything (README "Quickstart"): `make demo` and `make test`.
# Each creates or updates its virtual environment itself; when nothing changed, set-up is a no-op.

PYTHON ?= python3
VENV   := .venv
# Python 3.12 with the newest Mesa: the second supported stack, tested by `make test` too.
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
                 $$p -c 'import sys' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV312 := .venv-py312
# The CPU build of PyTorch that lies on this machine's disk (an unpinned torch is a CUDA build).
TORCH  ?= torch==2.13.0

STAMP    := $(VENV)/.installed
# Debian's Chromium, driven headless by the app's browser test (tests/test_app_e2e.py).
CHROMIUM := /usr/bin/chromium
STAMP312 := $(VENV312)/.installed

.PHONY: demo test test-fast lint format bench clean

demo: $(STAMP)
	$(VENV)/bin/socialrl run studies/maze_learning.toml
	$(VENV)/bin/socialrl run studies/calvano2020_demo.toml
	$(VENV)/bin/socialrl app results

test: $(STAMP) $(STAMP312) $(CHROMIUM)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest
	@echo "--- Python 3.12, newest Mesa: core model/environment/tabular tests ---"
	$(VENV312)/bin/python -c 'import mesa, sys; print("Python", sys.version.split()[0], "Mesa", mesa.__version__)'
	$(VENV312)/bin/python -m pytest -m core

test-fast: $(STAMP)
	$(VENV)/bin/python -m pytest -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(VENV)/bin/python bench/bench_maze.py
	$(VENV)/bin/python bench/bench_coordination.py
	$(VENV)/bin/python bench/bench_study_overhead.py
	$(VENV)/bin/python bench/bench_dqn.py
	$(VENV)/bin/python bench/bench_calvano.py
	$(VENV)/bin/python bench/bench_app.py
	$(VENV)/bin/python bench/bench_board.py
	$(VENV)/bin/python bench/bench_search.py
	$(VENV)/bin/python bench/bench_tournament.py

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q "$(TORCH)"
	$(VENV)/bin/python -m pip install -q -e '.[dev,deep,ray,interop,app,discovery]'
	touch $@

$(STAMP312): pyproject.toml
	@test -n "$(PYTHON312)" || { echo "make test needs Python 3.12 (python3.12 or pyenv 3.12.x) for the newest-Mesa leg"; exit 1; }
	test -x $(VENV312)/bin/python || $(PYTHON312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install -q --upgrade pip
	$(VENV312)/bin/python -m pip install -q --upgrade -e '.[dev]' 'mesa>=3.3,<4'
	touch $@

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
	  || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

clean:
	rm -rf $(VENV) $(VENV312) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache results artifacts
