# Everything a newcomer needs: `make run` and `make test` create .venv on first use.
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Sojourn needs Python 3.11+ ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

.PHONY: install run test lint types bench
install: $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/sojourn serve --app examples/leave_approval/app.yaml

test: $(BIN)/.installed
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python -m pip install -q -e '.[bench]'
	for benchmark in bench/*_bench.py; do $(BIN)/python $$benchmark || exit 1; done

# The house's checks, in .ci/run too: style, the formatter, the types (mypy; strict for asl/ and store/) and the
# layering (pyproject.toml's import-linter contracts).
lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports

types: $(BIN)/.installed
	$(BIN)/mypy
