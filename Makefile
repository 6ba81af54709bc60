# Development of the template itself. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
VARIANT ?= image_classifier
EXAMPLE := build/example-$(VARIANT)

# Quiet, offline-friendly tools for everything below.
export DVC_NO_ANALYTICS=1 ITERATIVE_DO_NOT_TRACK=1 GRADIO_ANALYTICS_ENABLED=False

.PHONY: help setup test lint format example docs clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

# .venv is exactly uv.lock (--locked: stop if pyproject.toml changed without `uv lock`), as in every project the
# template renders. The stamp is newer than both once it is: setup is idempotent.
$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || { echo "make setup needs uv, the Python package manager: pip install uv"; exit 1; }
	uv sync --locked
	touch $@

setup: $(VENV)/.installed ## Create .venv from uv.lock with every variant's dependencies (idempotent)

# Two workers (pytest-xdist): a 2-core machine's CI time; JOBS=1 runs the suite in one process. loadgroup hands out
# one test at a time to whichever worker is free, so the long ones do not queue behind each other. (Its groups would
# keep a variant's shared project on one worker, but pytest 9.2 ignores the id xdist 3.8 gives a grouped test: each
# worker builds the `generated` projects its tests need.)
JOBS ?= 2
test: setup ## Run the template's whole test suite (renders and runs every variant)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

lint: setup ## Lint the template's own Python (the rendered projects are linted by the tests)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup ## Format the template's own Python
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

example: setup ## Render VARIANT (default image_classifier) into build/example-VARIANT and run its sample pipeline
	rm -rf $(EXAMPLE)
	$(VENV)/bin/copier copy --defaults --vcs-ref HEAD -d variant=$(VARIANT) . $(EXAMPLE)
	cd $(EXAMPLE) && git init -q && git add -A \
		&& git -c user.name=example -c user.email=example@example.com commit -qm "Render from template"
	$(MAKE) -C $(EXAMPLE) smoke PYTHON=$(abspath $(PY))
	@echo
	@echo "Rendered and trained: $(EXAMPLE)"
	@echo "Open the demo:  make -C $(EXAMPLE) demo PYTHON=$(abspath $(PY))   (then http://127.0.0.1:7860)"

docs: setup ## Build the documentation site into build/site
	$(VENV)/bin/mkdocs build --strict --site-dir build/site

clean: ## Remove rendered examples and caches (keeps .venv)
	rm -rf build .pytest_cache
