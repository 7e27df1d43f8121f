# Kassa — `make demo` runs the main job, `make test` the whole suite (fresh machine friendly).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo test lint bench fault-matrix pg-start browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/kassa demo

pg-start:
	@bash scripts/pg-start.sh || true

browser:
	@bash scripts/browser-install.sh || true

test: install pg-start browser
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install pg-start
	$(BIN)/python -m bench

# The fault matrix at a large size (docs/RELIABILITY.md); BASKETS=… to change it.
BASKETS ?= 20000
fault-matrix: install
	KASSA_FAULT_BASKETS=$(BASKETS) $(BIN)/pytest tests/reliability/test_fault_matrix.py -p no:cacheprovider

clean:
	rm -rf $(VENV) kassa-data .pytest_cache .mypy_cache .ruff_cache
