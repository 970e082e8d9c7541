# clopos-server: `make run` serves the demo, `make test` runs the suite. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test fuzz lint typecheck bench clean

# The virtualenv gets the newest pip straight from this Python's own pip where that can install into another
# interpreter (pip 22.3 and later: `--python`): 2.5 s here, against 6.5 s for ensurepip's bundled pip then
# its upgrade (the old pip resolves the project's dependencies slower still: 31 s against 24 s).
$(BIN)/python:
	if $(PYTHON) -m pip --help 2>/dev/null | grep -q -- '--python '; then \
	  $(PYTHON) -m venv --without-pip $(VENV) && \
	  $(PYTHON) -m pip --python $(BIN)/python install --quiet --upgrade pip; \
	else \
	  $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip; \
	fi

# pip compiles the installed packages' bytecode on one core; compileall does it on every core (a fresh
# clone's install: 14 s -> 12 s here). Bytecode is compiled either way: without it, each process of the
# suite would compile what it imports.
COMPILE := $(BIN)/python -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e .
	$(COMPILE)
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	$(COMPILE)
	touch $@ $(STAMP)

run: $(STAMP)  ## migrate, seed the demo brands, serve on 127.0.0.1:8000
	$(BIN)/clopos-server serve --demo

# The suite in PYTEST_WORKERS processes (pytest-xdist; docs/testing.md). A later -n in PYTEST_ARGS wins:
# `make test PYTEST_ARGS="tests/orders -n 0"` runs one directory in this process, without the start-up.
PYTEST_WORKERS ?= 4
# Bytecode is kept even where PYTHONDONTWRITEBYTECODE is set: the suite starts a few hundred Python
# processes (servers, CLI runs, the pytest runs of tests/integrating), and pytest rewrites every
# clopos_server module it imports (the package holds a pytest plugin), so without a cache each of them
# compiles the package again (tests/integrating: 54 -> 44 s of CPU; docs/testing.md). It is written beside
# the sources (__pycache__, ignored by git), and the installed packages' is pip's: a separate cache
# (PYTHONPYCACHEPREFIX) ignored pip's and made each worker of a fresh clone compile them again (a worker's
# start 8.0 s of CPU instead of 4.3 s).
WITH_BYTECODE := env -u PYTHONDONTWRITEBYTECODE

test: $(DEV_STAMP)  ## the whole suite, on SQLite and PostgreSQL, in $(PYTEST_WORKERS) worker processes
	$(WITH_BYTECODE) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxschedchunk 2 $(PYTEST_ARGS)

# Each shard of the long run takes minutes (214 s for one on a slow machine), near the suite's per-test bound
# (tests/support/watchdog.py): an hour each here, unless CLOPOS_TEST_TIMEOUT says otherwise.
fuzz: $(DEV_STAMP)  ## schemathesis against /openapi.json, longer than the suite's run (CLOPOS_FUZZ_EXAMPLES=200)
	CLOPOS_FUZZ_EXAMPLES=$${CLOPOS_FUZZ_EXAMPLES:-200} CLOPOS_TEST_TIMEOUT=$${CLOPOS_TEST_TIMEOUT:-3600} \
	  $(WITH_BYTECODE) $(BIN)/python -m pytest tests/api/test_fuzz.py $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

bench: $(DEV_STAMP)  ## wrk against a fresh database and the baseline app (BENCH_QUICK=1: under a minute; see bench/bench.py)
	@if [ -x bench/run ]; then BENCH_PYTHON="$(abspath $(BIN))/python" bench/run; else echo "bench/run is missing or not executable"; exit 1; fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
