# Two commands: `make run` and `make test`. Everything else is installed by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Every install is held to the versions of requirements.lock (pip-compile's output, refreshed by
# `make lock`): a new release of a dependency cannot change what runs or is tested overnight.
# pyproject.toml keeps the lower bounds.
LOCK := requirements.lock

# Let Python keep the modules it compiles (some machines set PYTHONDONTWRITEBYTECODE): every
# test process, and every server or command a test starts, would otherwise compile Flask,
# SQLAlchemy and the app from source again, a fifth of the suite's time.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test lint format i18n messages bench bench-suite fuzz scale lock clean

# uv installs the locked versions in a second or two where pip takes half a minute (most of a
# fresh `make test`), so the virtualenv is made without pip and uv is put in it; where uv cannot
# be had, the virtualenv gets pip and pip does the installs.
UV_VERSION := 0.13.9
install = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python -c $(LOCK) $(1); \
	else $(BIN)/python -m pip install --quiet -c $(LOCK) $(1); fi

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11).")'
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip install --quiet --prefix $(VENV) uv==$(UV_VERSION) 2>/dev/null \
		|| $(BIN)/python -m ensurepip --upgrade >/dev/null

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(call install,-e .)
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(call install,-e '.[test]')
	@touch $@ $(VENV)/.installed

# The compiled catalogues (.mo), made from the committed .po files at install and whenever one
# changes; never committed (.gitignore). Every target that runs the app depends on them.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard intake/translations/*/LC_MESSAGES/messages.po))
$(CATALOGUES): %.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# This machine's secret key and development database, written after the first install so that
# `.venv/bin/flask --app wsgi …` works in any shell; never rewritten, never committed (the
# tests read none of it: they give the app an instance folder of their own).
INSTANCE_CONFIG := instance/config.py
$(INSTANCE_CONFIG): | $(VENV)/.installed
	$(BIN)/python -m intake.dev.instance_config

run: $(VENV)/.installed $(INSTANCE_CONFIG) $(CATALOGUES)
	$(BIN)/python -m intake.dev.server

test: $(VENV)/.installed-test $(INSTANCE_CONFIG) $(CATALOGUES)
	$(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

# ruff's checks, then the architecture's import contracts (.importlinter).
lint: $(VENV)/.installed-test $(INSTANCE_CONFIG)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache

format: $(VENV)/.installed-test $(INSTANCE_CONFIG)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# BENCH_QUICK=1 shortens every run of bench_pages.py, bench_server.py and bench_duplicates.py
# (a smoke run: its figures mean little). Each writes bench/out/*.json; report.py turns them
# into BENCHMARKS.md.
bench: $(VENV)/.installed-test $(INSTANCE_CONFIG) $(CATALOGUES)
	$(BIN)/python bench/bench_intake.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_pages.py
	$(BIN)/python bench/bench_server.py
	$(BIN)/python bench/bench_duplicates.py
	$(BIN)/python bench/report.py

# `make test` on fresh clones of this commit and of the one before issue 22, one after the other
# (about six minutes): the suite's time before and after (bench/out/suite.json).
bench-suite: $(VENV)/.installed-test $(INSTANCE_CONFIG) $(CATALOGUES)
	$(BIN)/python bench/bench_suite.py

# Generated requests (tests/app/test_fuzz.py): FUZZ_REQUESTS of them on SQLite, then on PostgreSQL.
FUZZ_REQUESTS ?= 5000
FUZZ_DATABASE_URL ?= $(or $(TEST_DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/test)
fuzz: $(VENV)/.installed-test $(INSTANCE_CONFIG) $(CATALOGUES)
	TEST_DATABASE_URL= INTAKE_FUZZ_REQUESTS=$(FUZZ_REQUESTS) \
		$(BIN)/python -m pytest tests/app/test_fuzz.py -q
	TEST_DATABASE_URL=$(FUZZ_DATABASE_URL) INTAKE_FUZZ_REQUESTS=$(FUZZ_REQUESTS) \
		$(BIN)/python -m pytest tests/app/test_fuzz.py -q

# The scale test (`@pytest.mark.scale` in tests/triage/test_export_server.py, skipped by `make
# test`): 100,000 referrals seeded by `dev seed`, both exports downloaded through gunicorn with
# gunicorn.conf.py over TLS and every row read back; on SQLite, then on PostgreSQL. Three to
# four minutes a database on this project's 2-CPU machines (measured: 3 min 37 s and 2 min 38 s;
# the seed 1.5 to 2.5 min, both downloads half a minute, reading them back 40 s). CI runs it
# after the two suites (its 90 minutes then hold both suites, the lint and this).
SCALE_DATABASE_URL ?= $(or $(TEST_DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/test)
scale: $(VENV)/.installed-test $(INSTANCE_CONFIG) $(CATALOGUES)
	TEST_DATABASE_URL= INTAKE_SCALE=1 \
		$(BIN)/python -m pytest tests/triage/test_export_server.py -m scale -q -s
	TEST_DATABASE_URL=$(SCALE_DATABASE_URL) INTAKE_SCALE=1 \
		$(BIN)/python -m pytest tests/triage/test_export_server.py -m scale -q -s

# The catalogue template for translators; French is the source language.
messages: $(VENV)/.installed $(INSTANCE_CONFIG)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --sort-by-file -o messages.pot .

# Extract the messages, then bring each language's catalogue up to date: a new message is added
# untranslated (no fuzzy guess from a similar one), for a translator to fill in; one no longer
# used is dropped. The .mo files follow at the next `make run` or `make test`.
i18n: messages
	$(BIN)/pybabel update -i messages.pot -d intake/translations -D messages \
		--no-fuzzy-matching --ignore-obsolete

# Re-resolve every dependency to its newest version allowed by pyproject.toml; review the diff.
lock: | $(BIN)/python
	$(call install,pip pip-tools)
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --upgrade --strip-extras \
		--extra test --no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) build *.egg-info
