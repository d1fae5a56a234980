# One virtual environment, created on first use; every target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install generate check-generated lint typecheck test demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(BIN)/python -m codegen generate

check-generated: $(STAMP)
	$(BIN)/python -m codegen check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow the package-dir mapping (generated/ is unifold.generated), so it checks
# a throwaway copy laid out as installed.
typecheck: $(STAMP)
	rm -rf .typecheck && mkdir -p .typecheck
	cp -r unifold .typecheck/unifold && cp -r generated .typecheck/unifold/generated
	cd .typecheck && ../$(BIN)/mypy --config-file ../pyproject.toml -p unifold

test: lint check-generated typecheck
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/python -m unifold.demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
