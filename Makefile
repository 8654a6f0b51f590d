# `make test` and `make demo` work on a fresh machine with only python3 and make:
# they create .venv on first use and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

FUZZ_EXAMPLES ?= 10000

.PHONY: test fuzz demo docs docs-check lint typecheck format migrations-check messages \
	compilemessages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev,docs,sandbox]'
	touch $(STAMP)

# axe-core (npm) for the browser tests' accessibility checks; without npm they are skipped
# (and fail under REQUIRE_E2E=1).
AXE := node_modules/axe-core/axe.min.js

$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

test: $(STAMP) $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz \
		--hypothesis-show-statistics $(PYTEST_ARGS)

demo: $(STAMP)
	cd sandbox && ../$(BIN)/python manage.py migrate --noinput
	cd sandbox && ../$(BIN)/python manage.py seed_sandbox
	cd sandbox && ../$(BIN)/python manage.py runserver 127.0.0.1:8000

# The documentation site, with warnings as errors; `make docs` also serves it.
DOCS_OUT := docs/_build/html

docs-check: $(STAMP)
	$(BIN)/sphinx-build -E -W --keep-going -n -q -b html docs $(DOCS_OUT)

docs: docs-check
	@echo "Serving the documentation on http://127.0.0.1:8001/ (Ctrl+C stops)"
	$(BIN)/python -m http.server 8001 --bind 127.0.0.1 --directory $(DOCS_OUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	PYTHONPATH=.:sandbox $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)
	$(BIN)/tox -e migrations

messages: $(STAMP)
	cd wagtail_robokassa && ../$(BIN)/django-admin makemessages -l ru --no-location
	cd sandbox/demo && ../../$(BIN)/django-admin makemessages -l ru --no-location

compilemessages: $(STAMP)
	cd wagtail_robokassa && ../$(BIN)/django-admin compilemessages -l ru
	cd sandbox/demo && ../../$(BIN)/django-admin compilemessages -l ru

clean:
	rm -rf $(VENV) .tox .pytest_cache .ruff_cache .hypothesis build dist *.egg-info node_modules \
		docs/_build
