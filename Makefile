# The two commands of the README: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/community
# Every dependency, pinned with its hashes (`make lock` writes it from pyproject.toml).
LOCK := requirements.lock
UV_SPEC := uv==0.13.8
# Only for `make install-models`: pip would take a CUDA build of several GB for a bare "torch"; the CPU build
# lies on disk here.
TORCH_SPEC ?= torch==2.13.0

.PHONY: run test install install-models lock database browser wrk services lint typecheck check bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The lock file alone decides what is installed (each file checked against its hash); then the project
# itself, with nothing more (hatchling, which builds it, is in the lock).
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

# Another embedding model than the default (sentence-transformers on the CPU build of torch): not locked.
install-models: install
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e '.[models]'

# Write requirements.lock again from pyproject.toml after a dependency changed there: versions already in the
# lock stay as they are unless pyproject.toml asks otherwise (`make lock LOCK_ARGS=--upgrade` takes the
# newest of everything). About 20 s; then `make install`.
lock: | $(BIN)/python
	@$(BIN)/uv --version >/dev/null 2>&1 || $(BIN)/pip install --quiet "$(UV_SPEC)"
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 \
	  --custom-compile-command "make lock" --quiet $(LOCK_ARGS) -o $(LOCK)

database: install
	$(BIN)/python -m community.pgcluster ensure
	$(BIN)/community database upgrade --no-prompt

run: database
	$(BIN)/community demo load
	$(BIN)/community run --host $(HOST) --port $(PORT)

# Browser tests drive Debian's chromium; install it when it is missing.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The benches load pages with wrk; install it when it is missing.
wrk:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing Debian's wrk for the benches"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; \
	fi

# The tests that run the site behind PgBouncer and nginx (tests/test_pgbouncer.py, tests/test_scale_out.py)
# start Debian's pgbouncer and nginx on ports of their own; install them when they are missing.
services:
	@missing=""; for tool in pgbouncer nginx; do \
	  command -v $$tool >/dev/null || [ -x /usr/sbin/$$tool ] || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing for the scale-out tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: install browser services
	$(BIN)/python -m community.pgcluster ensure --server-only
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check community tests bench

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

# Speed on generated data at the design's scale (not run by CI): pages under load, search at 1M posts, then
# the scenario zone's list pages at 10,000 scenarios and 10,000 capability profiles.
bench: database wrk
	$(BIN)/python -m bench.load --generate $(BENCH_ARGS)
	$(BIN)/python -m bench.search_bench $(BENCH_SEARCH_ARGS)
	$(BIN)/python -m bench.scenarios_bench --generate $(BENCH_SCENARIOS_ARGS)
	$(BIN)/python -m bench.forum_bench $(BENCH_FORUM_ARGS)
	$(BIN)/python -m bench.load --member $(BENCH_MEMBER_ARGS)
	$(BIN)/python -m bench.matching_bench $(BENCH_MATCHING_ARGS)
	$(BIN)/python -m bench.vouchers_bench $(BENCH_VOUCHERS_ARGS)
	$(BIN)/python -m bench.policies_bench $(BENCH_POLICIES_ARGS)
	$(BIN)/python -m bench.talent_bench $(BENCH_TALENT_ARGS)

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -o community/locales/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i community/locales/messages.pot -d community/locales --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
