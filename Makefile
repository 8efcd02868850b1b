# Two commands on a fresh machine: `make build` (the main job) and `make test`.
# Each creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= dist

.PHONY: build test test-fast grade points benchmark seed-study clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

build: $(VENV)/.installed  ## student + solution notebooks, Gradescope zip, nbgrader course in $(OUT)/ch02
	$(BIN)/autograder build --out $(OUT)

test: $(VENV)/.installed  ## the kit's whole test suite (needs MNIST: set MNIST_NPZ)
	$(BIN)/python -m pytest -q -rs

test-fast: $(VENV)/.installed  ## everything but the slow end-to-end tests
	$(BIN)/python -m pytest -q -rs -m "not slow"

grade: $(VENV)/.installed  ## make grade SUBMISSIONS="folder/ or files" [GRADES=grades]
	$(BIN)/autograder grade $(SUBMISSIONS) --out $(or $(GRADES),grades) --jobs 2

points: $(VENV)/.installed
	$(BIN)/autograder points

benchmark: $(VENV)/.installed  ## grading time vs executing the solution notebook
	$(BIN)/python benchmarks/grading_speed.py

seed-study: $(VENV)/.installed  ## training-check pass rate of the reference over 30 seeds x 2 weight orders
	$(BIN)/python benchmarks/seed_study.py --seeds 30

clean:
	rm -rf $(VENV) $(OUT) grades .pytest_cache
