# The two commands of the README: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/community
# pip would take a CUDA build of several GB for a bare "torch"; the CPU build lies on disk here.
TORCH_SPEC ?= torch==2.13.0

.PHONY: run test install database browser wrk lint typecheck check bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

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

test: install browser
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
