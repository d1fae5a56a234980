# One virtual environment, created on first use; every target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install generate check-generated lint typecheck test demo bench clean

# compat editable mode: a plain path entry (not an import hook), which mypy can follow, so a
# user's script type-checks against this checkout.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(BIN)/python -m codegen generate

check-generated: $(STAMP)
	$(BIN)/python -m codegen check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy -p unifold

test: lint check-generated typecheck
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/python -m unifold.demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
