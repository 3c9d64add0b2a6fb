# kplane: two commands on a fresh machine.
#   make demo   set up .venv and run the main demo on bundled defaults
#   make test   set up .venv and run lint + tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= ../shared/data

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/kplane topology list
	$(BIN)/kplane scenario new --topology nsfnet --traffic-intensity 12 --seed 1 -o demo-scenario.json
	$(BIN)/kplane scenario show demo-scenario.json
	$(BIN)/kplane sim run --scenario demo-scenario.json --duration 16000 --limit 8
	$(BIN)/kplane sim compare --scenario demo-scenario.json --duration 16000 --limit 10
	$(BIN)/kplane predict --scenario demo-scenario.json --compare --limit 10 --threads 1
	@if [ -d $(SHARED)/omnetpp/fifo-30node-train ]; then \
		$(BIN)/kplane data inspect $(SHARED)/omnetpp/fifo-30node-train; \
	else echo "($(SHARED)/omnetpp not present: skipping the datanet inspection)"; fi
	$(BIN)/kplane dataset generate routenet-small --max-samples 40 --workers 2 -o demo-dataset
	$(BIN)/kplane dataset info demo-dataset
	$(BIN)/kplane whatif routing --topology nsfnet --traffic-intensity 14 --seed 1 --model bundled \
		--candidates 30 --duration 1000 --threads 1
	$(BIN)/kplane te solve --topology abilene --cutoff 1e-4 --objective teavar --beta 0.99 \
		--allocation-out demo-te-allocation.json
	$(BIN)/kplane te optimize --topology abilene --cutoff 1e-4 --objective teavar --target-load 1.0 --threads 1 \
		--finetune 50 --compare-solver

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
