# Two commands: `make run` starts the bot, `make test` checks everything (ruff, mypy, pytest).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# -qq: pip shows errors only, not the warnings of this machine's own pip configuration.
PIP := $(BIN)/pip install -qq

.PHONY: run test lint format bench validate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python bot.py run

validate: $(VENV)/.installed
	$(BIN)/python bot.py validate

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed
	$(BIN)/python bench/answer_path.py
	$(BIN)/python bench/summary_scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
