# Two commands: `make run` starts the whole system locally; `make test` runs the whole test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test mutate install bench bench-cases bench-alert bench-ingest bench-worker clean

run: $(STAMP)
	$(BIN)/python scripts/run_local.py

test: $(STAMP)
	$(BIN)/python scripts/run_tests.py $(ARGS)

# Mutation testing of the modules that carry the promises (scripts/mutation/modules.toml); about an hour, not in CI.
mutate: $(STAMP)
	$(BIN)/python scripts/mutate.py $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/ussd_sessions.py

bench-cases: $(STAMP)
	$(BIN)/python bench/case_pages.py $(ARGS)

bench-alert: $(STAMP)
	$(BIN)/python bench/alert_behind_backlog.py $(ARGS)

bench-ingest: $(STAMP)
	$(BIN)/python bench/sms_ingest.py $(ARGS)

bench-worker: $(STAMP)
	$(BIN)/python bench/worker_throughput.py $(ARGS)

install: $(STAMP)

# uv installs the same pinned set as pip, compiled as pip compiles it, in 19 s against pip's 30 s (56 s with nothing
# in pip's cache, as on a new machine), measured on the same busy machine. Compiled at install because a process run
# with PYTHONDONTWRITEBYTECODE would compile every library it imports each time it starts. pip stays the way if uv
# cannot come.
$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	($(BIN)/python -m pip install --quiet uv==0.13.10 \
	  && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.txt) \
	  || ($(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -r requirements.txt)
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) instance/relais.db* instance/redis
