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

# The article-store tests start a PostgreSQL server of their own (tests/postgres.py) with
# the server's programs, from PATH or Debian's /usr/lib/postgresql/<version>/bin; on a
# Debian or Ubuntu machine without them, `make test` run as root installs the package.
HAS_POSTGRES := command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
INSTALL_POSTGRES := command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	&& echo "installing Debian's postgresql for the article-store tests" >&2 \
	&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
POSTGRES_MISSING := the tests need PostgreSQL's server programs initdb and pg_ctl: Debian's \
	and Ubuntu's package postgresql has them; or put their folder on PATH

test: $(STAMP)  ## Lint, type-check and run the test suite.
	@$(HAS_POSTGRES) || { $(INSTALL_POSTGRES) && $(HAS_POSTGRES); } \
		|| { echo "$(POSTGRES_MISSING)" >&2; exit 1; }
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) public .feeds-cache .pytest_cache .mypy_cache .ruff_cache
