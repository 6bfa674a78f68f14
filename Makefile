# The two commands: `make run` sets everything up and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-slow bench bench-quick lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/sli run

test: setup
	$(BIN)/python -m pytest -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

# The speed targets, each beside the floor (copy + fsync + rename): update and status at 0, 10,000 and 100,000
# Change log rows as sli, openpyxl and LibreOffice left the file, the naive openpyxl way interleaved, the real
# bot's peak memory, 8 concurrent writers (several minutes; results in out/bench/results.json).
# tests/test_bench_quick.py runs the quick form in `make test`.
bench: setup
	$(BIN)/python benchmarks/update_latency.py

bench-quick: setup
	$(BIN)/python benchmarks/update_latency.py --quick

lint: setup
	$(BIN)/ruff check .
