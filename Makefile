# Two entry points: `make report` (the main job, on the sample data) and `make test` (the whole suite).
# Each creates .venv and installs what it needs on first use (Python packages; chromium for PDFs).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
WEEK ?= latest
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

MATRIX_ARGS ?=  # e.g. make bench MATRIX_ARGS='--sizes 1M --repeat 5'

.PHONY: report test lint bench sample notebook system clean

# `make report` installs the package and what reporting needs; `make test` adds the test extra (engines, browser).
$(STAMP): pyproject.toml
	@echo "talentstats: creating $(VENV) and installing the package (first run only, about a minute)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --progress-bar off -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) pyproject.toml
	@echo "talentstats: installing the test extra (pytest, engines, browser tools; first run only, 2-3 minutes)"
	$(BIN)/python -m pip install -q --progress-bar off -e '.[test]'
	touch $(TEST_STAMP)

system:
	@bash .ci/system-deps

report: $(STAMP) system
	@# (bytecode written, as pip does for a regular install: an editable one leaves it to the first import, which
	@# never writes it where PYTHONDONTWRITEBYTECODE is set; compiling ~90 modules cost each run ~0.5 s)
	@$(BIN)/python -m compileall -q talentstats > /dev/null
	$(BIN)/talentstats report sample_data/ --week $(WEEK) --out reports --format html,pdf

test: $(TEST_STAMP) system
	$(BIN)/ruff check
	$(BIN)/vulture talentstats tests/vulture_whitelist.py --min-confidence 60  # no dead code
	$(BIN)/python -m pytest -n 2 --dist loadfile tests notebooks $(NBVAL)

lint: $(TEST_STAMP)
	$(BIN)/ruff check

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_matrix.py --json benchmarks/.data/matrix.json --markdown benchmarks/.data/matrix.md \
		$(MATRIX_ARGS)
	$(BIN)/python benchmarks/bench_events.py --markdown benchmarks/.data/events.md  # issue 13: events vs cohort

notebook: $(TEST_STAMP)  # refresh the stored outputs of the weekly report notebook (checked by nbval)
	$(BIN)/python -m talentstats.report

sample: $(STAMP)
	$(BIN)/talentstats sample --out sample_data --seed 0 --reach-outs 10000

clean:
	rm -rf $(VENV) reports build *.egg-info .pytest_cache .ruff_cache test-artifacts
