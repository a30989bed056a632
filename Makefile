# `make demo`: a real end-to-end ship on this machine's sandbox. `make test`: the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# checkov pins its own boto3 and many other packages: it gets a venv of its own, and a pinned
# version, so that a new release's new checks change the tests only when we choose to.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: demo deps packages test test-fast lint bench man

# The demo needs only the package and its sandbox extra; test, lint and bench add the test
# extras (pytest, mypy, stubs, cfn-lint...) and the code parsers (the `code` extra) to the
# same venv. The second sentinel is older than
# the first right after `make demo`, so make adds the test extras when they are first needed.
# pip's editable installs skip data files: the man page is linked where man looks for it
# (`share/man` beside the venv's bin on PATH), so that `git lift --help` finds it.
SANDBOX := $(VENV)/.sandbox-installed

$(SANDBOX): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --no-compile -e '.[sandbox]'
	mkdir -p $(VENV)/share/man/man1
	ln -sf "$(CURDIR)/man/man1/git-lift.1" $(VENV)/share/man/man1/git-lift.1
	touch $@

$(BIN)/git-lift: $(SANDBOX)
	$(BIN)/pip install -q -e '.[test,code]'
	@# The sandbox's packages went in uncompiled (a quicker first demo): compiled now, once, so
	@# that no timed test session compiles moto and botocore in each worker (10 s on 2 cores;
	@# a file some package ships that does not compile is not ours to mend).
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null || :
	touch $@

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q 'checkov==$(CHECKOV_VERSION)'
	touch $@

demo: $(SANDBOX)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash demo/run.sh

# The Debian packages of the image tests and of the demo's image part: buildah builds and runs
# images, docker-registry serves them, busybox-static is the one binary of the demo's runnable
# image, chromium reads the dashboard headless (tests/test_dashboard.py). Installed where we can
# (root with apt-get), else named; .ci/run installs them first.
PACKAGES := buildah docker-registry busybox-static chromium

packages:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "make: installing" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq $$missing || \
			{ apt-get update -qq && apt-get install -y -qq $$missing; }; \
	else \
		echo "make: the image tests skip without them: apt-get install" $$missing; \
	fi

# The venvs `make test` needs, without running it (.ci/run builds them while other work runs),
# and the packages above.
deps: packages $(BIN)/git-lift $(CHECKOV)

# The suite reuses compiled bytecode and pytest's rewritten asserts between runs and workers.
unexport PYTHONDONTWRITEBYTECODE

# The tests' temporary files go to memory where the machine has a tmpfs that runs programs
# (/dev/shm; Docker mounts it noexec, and the tests run hooks and editors from their folders):
# the suite writes some 400 MB of small files, git repositories mostly, and on this disk that
# was a third of the in-process suite's time (issue 19). Elsewhere: the system's temp folder.
TEST_TMP = tmp=/dev/shm/lift-tests; \
	if mkdir -p $$tmp 2>/dev/null && printf '\043!/bin/sh\n' >$$tmp/.exec && chmod +x $$tmp/.exec && \
		$$tmp/.exec 2>/dev/null; then export TMPDIR=$$tmp; fi

# All but the slow end-to-end tests (the demo, the quick start): .ci/run runs them on the oldest
# Python. checkov's tests are left to `make test`: checkov runs in its own venv, whatever Python.
test-fast: $(BIN)/git-lift
	$(TEST_TMP); PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n 2 -q -m 'not slow' \
		--ignore=tests/test_checkov.py

# The in-process suite (marker `fast`: tests/fast/ and the files that opt in) runs first, as a
# session of its own, so that pytest's JUnit report times it; then the rest. The figures issue 19
# asks for (test lines per source line, the in-process suite's time) are printed at the end,
# whatever the outcome; make fails if either session did.
FAST_REPORT := build/test-fast.xml
# The in-process session collects only its own files (tests/fast/ and the files that opt in):
# importing the end-to-end modules only to deselect them costs each worker seconds.
FAST_FILES = tests/fast $(shell grep -l '^pytestmark = pytest.mark.fast' tests/*.py)

# pytest rewrites each test module's asserts and keeps the result beside its bytecode: in a fresh
# clone every worker of both sessions rewrote every module, 12 s of the in-process session's 38.
# One collection rewrites them all, again only when a test file changed.
TEST_SOURCES := $(shell find tests -name '*.py' -not -path '*/golden/*')
REWRITTEN := build/.tests-rewritten

$(REWRITTEN): $(TEST_SOURCES) $(BIN)/git-lift
	@mkdir -p build
	@# A test file that does not import fails here, with pytest's own report of it.
	$(BIN)/python -m pytest -q --collect-only -p no:cacheprovider >build/collect.log || \
		{ cat build/collect.log; exit 1; }
	@touch $@

test: $(BIN)/git-lift $(CHECKOV) $(REWRITTEN)
	@mkdir -p build
	@# Bytecode first, once: in a fresh clone each worker compiled every module itself, inside
	@# the timed session (2.5 s of it). pip compiles an installed package the same way.
	$(BIN)/python -m compileall -q -x '/golden/' git_lift tests >/dev/null
	$(TEST_TMP); PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n 2 -q -m fast \
		--junitxml=$(FAST_REPORT) $(FAST_FILES); fast=$$?; \
	PATH="$(CURDIR)/$(BIN):$$PATH" CHECKOV="$(CURDIR)/$(CHECKOV)" $(BIN)/python -m pytest -n 2 -q \
		-m 'not fast'; rest=$$?; \
	$(BIN)/python -m bench.suite_report $(FAST_REPORT); \
	[ $$fast -eq 0 ] && [ $$rest -eq 0 ]

lint: $(BIN)/git-lift
	$(BIN)/ruff check git_lift tests bench
	$(BIN)/ruff format --check git_lift tests bench
	$(BIN)/mypy

bench: $(BIN)/git-lift
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.run

man: $(BIN)/git-lift
	$(BIN)/python -m git_lift.cli.manpage > man/man1/git-lift.1
