# trackway: `make run` starts the local stack, `make test` runs the whole suite.
# Both install what is missing first (a virtualenv in .venv and the npm engines in node_modules).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# Every run lists its 25 slowest tests, so a CI log shows where the time goes.
PYTEST_DURATIONS := --durations=25
PYTEST_ARGS ?=
CHROMIUM := /usr/bin/chromium

.PHONY: install browser run test test-fast lint typecheck openapi bench bench-quick demo clean

install: $(PY_STAMP) $(NODE_STAMP) browser

# The browser tests (tests/ui) drive Debian's chromium; install it when missing and we may (root, apt).
browser:
	@test -x $(CHROMIUM) || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "chromium not found at $(CHROMIUM) and cannot be installed here: the browser tests will skip"; fi; }

$(PY_STAMP): pyproject.toml sdk/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[infra,local]" -e "./sdk[aws,plot,ui,mlflow]" --group dev
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(PY_STAMP) $(NODE_STAMP)
	$(BIN)/python -m trackway_backend.local --port $${TRACKWAY_PORT:-5000}

test: install
	$(BIN)/python -m pytest $(PYTEST_DURATIONS) $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not system" $(PYTEST_DURATIONS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check functions sdk infra tests bench
	$(BIN)/ruff format --check functions sdk infra tests bench

typecheck: install
	$(BIN)/mypy

# docs/openapi.json from the route table and the wire models; tests/unit/test_openapi.py fails while it is stale.
openapi: $(PY_STAMP)
	$(BIN)/python -m trackway_backend.openapi --write docs/openapi.json

bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

# Uses the stack at TRACKWAY_URL, else 127.0.0.1:TRACKWAY_PORT (5000), and starts one there only when nothing answers.
demo: install
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
