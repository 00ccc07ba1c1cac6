# Everyday verbs. Each builds its own virtual environment (.venv) on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint docs bench bench-startup bench-month bench-documents bench-pg crash stateful samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## process the sample workbooks into ./seatbatch-out (SQLite ledger)
	PATH="$(abspath $(BIN)):$$PATH" sh samples/demo.sh

test: $(STAMP)  ## the whole test suite, on SQLite and on a PostgreSQL server it starts itself
	sh tests/ensure_postgresql.sh
	$(BIN)/python -m pytest -q -n 2 --dist worksteal

fuzz: $(STAMP)  ## the fuzz tests with a large budget (5000 cases, a new seed each run)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_fuzz.py --hypothesis-show-statistics

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks samples
	$(BIN)/mypy
	$(BIN)/lint-imports

docs: $(STAMP)  ## docs/*.md generated again from schemas/, the configuration's records and --help
	$(BIN)/python -m seatbatch.docs docs

bench: $(STAMP)  ## speed and memory figures on generated workbooks
	$(BIN)/python benchmarks/bench.py

bench-startup: $(STAMP)  ## --help, a 50-line process and the large one against read_excel (issue 12)
	$(BIN)/python benchmarks/startup.py

bench-month: $(STAMP)  ## renew and report at month end against process (issue 4 targets)
	$(BIN)/python benchmarks/month_end.py

bench-documents: $(STAMP)  ## process with PDFs and e-invoices against read_excel; one PDF (issue 13)
	$(BIN)/python benchmarks/documents.py

bench-pg: $(STAMP)  ## process on PostgreSQL against SQLite; inbox workers side by side (issue 6)
	sh tests/ensure_postgresql.sh
	$(BIN)/python benchmarks/postgres.py

STATEFUL_EXAMPLES ?= 1000
STATEFUL_STEPS ?= 20
stateful: $(STAMP)  ## the ledger state machine at length (make test runs 100 examples of 10 steps)
	SEATBATCH_STATEFUL_EXAMPLES=$(STATEFUL_EXAMPLES) SEATBATCH_STATEFUL_STEPS=$(STATEFUL_STEPS) \
		$(BIN)/python -m pytest -q tests/test_stateful.py --hypothesis-show-statistics

crash: $(STAMP)  ## 2,000 runs killed at random moments on each engine (make test: 40 on each)
	sh tests/ensure_postgresql.sh
	SEATBATCH_KILLS=2000 $(BIN)/python -m pytest -q -s tests/test_crash.py

samples: $(STAMP)
	$(BIN)/python samples/make_samples.py

clean:
	rm -rf $(VENV) seatbatch-out .pytest_cache .mypy_cache .ruff_cache
