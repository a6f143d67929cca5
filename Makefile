# The two commands of the README. Both create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RAW_DATA ?= ../shared/datasets
DATA_DIR ?= data

.PHONY: setup demo test lint messages

$(BIN)/rnn-grader: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# CPU build of PyTorch first: an unpinned torch would pull the CUDA wheels.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	# The versions the tests ran with, as the Gradescope zip's setup.sh installs them.
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]' -c autograder/gradescope/constraints.txt
	touch $@

setup: $(BIN)/rnn-grader

demo: setup
	$(BIN)/rnn-grader data prepare --from $(RAW_DATA) --to $(DATA_DIR)
	$(BIN)/rnn-grader data check $(DATA_DIR)
	$(BIN)/rnn-grader sync --check
	RNN_GRADER_DATA=$(abspath $(DATA_DIR)) $(BIN)/rnn-grader demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every message marked for translation (autograder/i18n.py's keywords in the code, `_` in the
# page templates; babel.cfg maps which extractor reads which file) into build/messages.pot,
# then the messages without Korean, listed by catalog (docs/grading.md, "Messages").
messages: setup
	mkdir -p build
	$(BIN)/pybabel extract --no-default-keywords $$($(BIN)/python -c \
		"from autograder.i18n import BABEL_KEYWORDS as k; print(' '.join(f'-k {n}:{s[0]}' for n, s in k.items()))") \
		-k _ -F babel.cfg -o build/messages.pot autograder
	$(BIN)/python -m pytest -q tests/test_i18n.py -k "korean or fields or f_string"
