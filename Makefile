# Two commands on a fresh machine: `make build` (the main job) and `make test`.
# Each creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= dist

.PHONY: build test test-fast grade points benchmark benchmark-class record-corpus seed-study clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

build: $(VENV)/.installed  ## per assignment: student + solution notebooks, Gradescope zip, nbgrader course in $(OUT)/<id>
	$(BIN)/autograder build --out $(OUT)

# The whole suite runs four test files at a time on two cores: many slow tests wait (kernels
# running into their time limits, batches killed and resumed) while the other workers compute.
# Measured: 593 s with -n 2; 508 s with -n 3, cores idle 3 %; 499 s with the longest files first
# (tests/conftest.py); after the kernels got cheaper, 460 s with -n 3 and 436-447 s with -n 4
# (cores busy 95-97 %, 5.1 GB of memory at the peak).
test: $(VENV)/.installed  ## the kit's whole test suite (needs MNIST: set MNIST_NPZ), four test files at a time; the slowest 30 listed
	$(BIN)/python -m pytest -q -rs -n 4 --dist loadfile --durations=30

test-fast: $(VENV)/.installed  ## everything but the slow end-to-end tests: what to run while working
	$(BIN)/python -m pytest -q -rs -n 2 --dist loadfile -m "not slow"

grade: $(VENV)/.installed  ## make grade SUBMISSIONS="folder/ or files" [GRADES=grades]
	$(BIN)/autograder grade $(SUBMISSIONS) --out $(or $(GRADES),grades) --jobs 2

points: $(VENV)/.installed
	$(BIN)/autograder points

benchmark: $(VENV)/.installed  ## grading time and memory vs executing the solution notebook, sandbox or not
	$(BIN)/python benchmarks/grading_speed.py --assignment ch02
	$(BIN)/python benchmarks/grading_speed.py --assignment ch02_plus
	$(BIN)/python benchmarks/floor.py --assignment ch02

benchmark-class: $(VENV)/.installed  ## a class of 40 at --jobs 1, 2 and 4: throughput, core-seconds, memory per worker, kill and resume
	$(BIN)/python benchmarks/class_benchmark.py --size 40 --jobs 1 2 4 --kill-after 15

record-corpus: $(VENV)/.installed  ## re-record the training of the in-process corpus (after changing the probes)
	cd tests && ../$(BIN)/python -m corpus.record

seed-study: $(VENV)/.installed  ## training-check pass rate of the reference over 30 seeds x 2 weight orders
	$(BIN)/python benchmarks/seed_study.py --seeds 30

clean:
	rm -rf $(VENV) $(OUT) grades .pytest_cache
