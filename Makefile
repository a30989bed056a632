# `make demo`: a real end-to-end ship on this machine's sandbox. `make test`: the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# checkov pins its own boto3 and many other packages: it gets a venv of its own, and a pinned
# version, so that a new release's new checks change the tests only when we choose to.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: demo test lint bench man

$(BIN)/git-lift: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q 'checkov==$(CHECKOV_VERSION)'
	touch $@

demo: $(BIN)/git-lift
	PATH="$(CURDIR)/$(BIN):$$PATH" bash demo/run.sh

test: $(BIN)/git-lift $(CHECKOV)
	PATH="$(CURDIR)/$(BIN):$$PATH" CHECKOV="$(CURDIR)/$(CHECKOV)" $(BIN)/python -m pytest -n 2 -q

lint: $(BIN)/git-lift
	$(BIN)/ruff check git_lift tests bench
	$(BIN)/ruff format --check git_lift tests bench
	$(BIN)/mypy

bench: $(BIN)/git-lift
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.run

man: $(BIN)/git-lift
	$(BIN)/python -m git_lift.manpage > man/man1/git-lift.1
