# Two commands on a fresh machine: `make build` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
# feeds and what running it needs; then the test and dev extras (pytest, moto, mypy, ruff,
# stubs), which only `make test` installs.
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: build test lint clean

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(PIP) -e '.[test,dev]'
	touch $(STAMP)

build: $(RUNTIME)  ## Build the feeds for the bundled samples into public/.
	$(BIN)/feeds build --config config/feeds.yaml -v

test: $(STAMP)  ## Lint, type-check and run the test suite.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) public .feeds-cache .pytest_cache .mypy_cache .ruff_cache
