# Two entry points: `make report` (the main job, on the sample data) and `make test` (the whole suite).
# Each creates .venv and installs what it needs on first use (Python packages; chromium for PDFs).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEEK ?= latest
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

MATRIX_ARGS ?=  # e.g. make bench MATRIX_ARGS='--sizes 1M --repeat 5'

.PHONY: report test lint bench sample notebook system clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

system:
	@bash .ci/system-deps

report: $(STAMP) system
	$(BIN)/talentstats report sample_data/ --week $(WEEK) --out reports --format html,pdf

test: $(STAMP) system
	$(BIN)/ruff check
	$(BIN)/vulture talentstats tests/vulture_whitelist.py --min-confidence 60  # no dead code
	$(BIN)/python -m pytest -n 2 --dist loadfile tests notebooks $(NBVAL)

lint: $(STAMP)
	$(BIN)/ruff check

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_matrix.py --json benchmarks/.data/matrix.json --markdown benchmarks/.data/matrix.md \
		$(MATRIX_ARGS)

notebook: $(STAMP)  # refresh the stored outputs of the weekly report notebook (checked by nbval)
	$(BIN)/python -m talentstats.report

sample: $(STAMP)
	$(BIN)/talentstats sample --out sample_data --seed 0 --reach-outs 10000

clean:
	rm -rf $(VENV) reports build *.egg-info .pytest_cache .ruff_cache test-artifacts
