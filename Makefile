# giftreview: `make help` lists the targets. Each target does its own set-up.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
GR := $(VENV)/bin/giftreview
WAVES := $(sort $(wildcard data/raw/*.csv data/raw/*.xlsx data/raw/*.sav))

.DEFAULT_GOAL := help
.PHONY: help setup reports clean-data test test-fast lint format data benchmark distclean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(VENV)/.giftreview-installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh

setup: $(VENV)/.giftreview-installed ## Create .venv and install giftreview, Chromium and fonts

reports: setup ## Produce reports/<wave>/ for every bundled wave, the wave comparison and the tutorial
	@for f in $(WAVES); do $(GR) run "$$f" || exit $$?; done
	@set -- $(WAVES); if [ $$# -ge 2 ]; then $(GR) compare "$$1" "$$2"; fi
	$(GR) tutorial --version both

clean-data: setup ## Validate and clean every bundled wave into data/processed/<wave>/
	@for f in $(WAVES); do $(GR) clean "$$f" || exit $$?; done

test: setup ## Run the whole test suite (as CI does)
	$(PY) -m pytest -n 2 -q

test-fast: setup ## Run the tests that need no notebook or browser
	$(PY) -m pytest -n 2 -q -m "not slow"

lint: setup ## Check style with ruff
	$(VENV)/bin/ruff check src tests benchmarks notebooks
	$(VENV)/bin/ruff format --check src tests benchmarks notebooks

format: setup ## Format the code with ruff
	$(VENV)/bin/ruff format src tests benchmarks notebooks
	$(VENV)/bin/ruff check --fix src tests benchmarks notebooks

data: setup ## Regenerate the synthetic raw data (seeded; byte-identical)
	$(PY) scripts/generate_synthetic.py

benchmark: setup ## Print the performance figures (benchmarks/)
	$(PY) benchmarks/bench_stats.py
	$(PY) benchmarks/bench_run.py
	$(PY) benchmarks/bench_hostile.py

distclean: ## Remove .venv and every generated file
	rm -rf $(VENV) data/processed/*/ reports/*/
