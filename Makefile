# Two commands on a fresh machine: `make build` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	touch $(STAMP)

build: $(STAMP)  ## Build the feeds for the bundled samples into public/.
	$(BIN)/feeds build --config config/feeds.yaml -v

test: $(STAMP)  ## Lint, type-check and run the test suite.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) public .feeds-cache .pytest_cache .mypy_cache .ruff_cache
