# Set-up and the two entry points of the README: `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist worker processes for `make test`; 0 runs the tests in one process.
TEST_WORKERS ?= 2

.PHONY: install demo test test-slow lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/embedsent demo

test: $(STAMP)
	$(BIN)/ruff check embedsent tests benchmarks notebooks
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check embedsent tests benchmarks notebooks
	$(BIN)/ruff format --check embedsent tests benchmarks notebooks

clean:
	rm -rf $(VENV) .pytest_cache
