# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: install demo test lint chromium bench bench-perf bench-crawl bench-backends accuracy fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: the CPU build; a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# The ray extra too, so the Ray executor's test runs in CI (`--executor ray`).
	$(BIN)/pip install --quiet -e '.[test,ray]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright cannot download browsers offline).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

demo: install
	$(BIN)/brand-audit demo

test: install chromium
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

accuracy: install
	$(BIN)/python -m benchmarks.accuracy

# `make bench`: the performance figures and the crawl, written to docs/benchmarks.md.
# The embedding backend comparison is slow (~15 min); run it on its own.
bench: bench-perf bench-crawl

bench-perf: install
	$(BIN)/python -m benchmarks.perf

bench-crawl: install
	$(BIN)/python -m benchmarks.crawl

bench-backends: install
	$(BIN)/python -m benchmarks.backends

# 10,000 hostile inputs per parser, one pytest process per CPU; records docs/benchmarks.md.
# FUZZ_ARGS="--examples 1000 -k 'html or rss'" runs fewer.
fuzz: install
	$(BIN)/python -m benchmarks.fuzz $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) brand-audit-demo .pytest_cache
