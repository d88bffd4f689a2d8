# carecon: `make run` runs the default scenario; `make test` runs the tests.
# Each target creates .venv with the pinned dependencies when needed.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python 3.12+ interpreter: $(PYTHON), pyenv's 3.12 versions, then python3.13/3.12/python3.
PYTHON ?= $(shell for c in "$$(pyenv root 2>/dev/null)"/versions/3.1[2-9]*/bin/python3 python3.13 python3.12 python3; do \
	  if [ -x "$$(command -v $$c 2>/dev/null)" ] && "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$c; break; fi; done)

.PHONY: run test dashboard bench docking lint docs clean browser report pages

$(STAMP): requirements.lock pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: carecon needs Python 3.12 or newer (none found; set PYTHON=/path/to/python3.12)"; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)  ## Run the default scenario; outputs and figures go to outputs/sds_rollout
	$(VENV)/bin/carecon run sds_rollout --out outputs/sds_rollout

# The suite includes tests/test_install.py: it builds the wheel, installs it into a fresh virtual environment
# outside the checkout, and runs `carecon list` and a short `carecon run` there.
test: $(STAMP) browser  ## Lint, check the import layers and run the whole test suite (browser test, wheel install)
	$(VENV)/bin/ruff check model tests dashboard benchmarks notebooks
	$(VENV)/bin/lint-imports
	CARECON_NOTEBOOK_SMALL=1 $(PY) -m pytest -q -n 2 --dist loadgroup --nbmake tests notebooks

browser:  ## Debian's Chromium for the end-to-end dashboard test
	@command -v chromium >/dev/null || { (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium; browser tests will be skipped"; }

.PHONY: screenshots
screenshots: $(STAMP) browser  ## Refresh docs/img/dashboard.png (the browser test, saving its screenshot there)
	CARECON_SCREENSHOT_DIR=$(CURDIR)/docs/img $(PY) -m pytest -n 0 -q tests/test_dashboard_browser.py

dashboard: $(STAMP)  ## Start the dashboard on http://127.0.0.1:8501 (CARECON_EXECUTOR, CARECON_WORKERS...: docs/dashboard.md)
	$(VENV)/bin/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port 8501 --server.headless true \
	  --browser.gatherUsageStats false

bench: $(STAMP)  ## Benchmarks (engines, scale) — prints medians
	$(PY) -m benchmarks.engines

docking: $(STAMP)  ## Full docking report: every scenario, 30 seeds per engine, 500 people, 120 months
	$(PY) -m model.experiments.docking --seeds 30 --people 500 --out outputs/docking

report: $(STAMP)  ## Regenerate the calibration report: docs/calibration.md, docs/calibration.html, docs/img/calibration_targets.png
	$(VENV)/bin/carecon report --out docs --store outputs/report-studies --quiet

pages: $(STAMP)  ## Regenerate the scenario pages' generated blocks: headline figures with combined intervals (parameters and noise) and the "What it found" tables (8 replications at the defaults)
	$(PY) -m model.experiments.pages

docs: $(STAMP)  ## Regenerate the reference pages: parameters, output columns and the command line
	@mkdir -p docs/reference
	$(PY) -m model.scenario > docs/reference/parameters.md
	$(PY) -m model.run.outputs > docs/reference/outputs.md
	$(PY) -m model.cli.reference > docs/reference/cli.md

lint: $(STAMP)
	$(VENV)/bin/ruff check model tests dashboard benchmarks notebooks
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) outputs .pytest_cache
