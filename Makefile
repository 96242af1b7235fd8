# The two commands of the README:
#   make run   — install, start PostgreSQL and Redis (embedded unless DATABASE_URL /
#                REDIS_URL are set), migrate, load the demo province if absent, and run
#                the web server, a Celery worker and Celery beat
#   make test  — install, then run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= demo
BENCH_DB ?= pension_bench

.PHONY: install run test lint format check messages stop lock clean bench bench-risk

# requirements-dev.lock: the runtime dependencies (requirements.lock, the only ones the
# production image installs) plus the embedded servers, tests and tooling; every file
# is checked against its pinned hash.
$(STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py run_stack --scale $(SCALE)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Static checks CI runs besides the tests.
check: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# Regenerate the Chinese catalogue's template after changing UI text (needs GNU
# gettext); edit locale/zh_Hans/LC_MESSAGES/django.po, then compile it.
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

# Benchmarks on databases of their own (make bench SCALE=province); the figures go into
# docs/benchmarks.md. The person page reads $(BENCH_DB), loaded once at SCALE (drop it to
# reload at another scale); the assessment builds $(BENCH_ASSESS_DB) with
# $(BENCH_CONTRIBUTORS) contributors (3 000 000 at SCALE=province) and drops it after;
# the annual interest builds $(BENCH_INTEREST_DB) with $(BENCH_ACCOUNTS) accounts
# (5 000 000 at SCALE=province) and drops it after.
BENCH_ASSESS_DB ?= bench_assess
BENCH_CONTRIBUTORS ?= $(if $(filter province,$(SCALE)),3000000,300000)
BENCH_INTEREST_DB ?= bench_interest
BENCH_ACCOUNTS ?= $(if $(filter province,$(SCALE)),5000000,500000)
# the annual adjustment builds $(BENCH_ADJUST_DB) with $(BENCH_PENSIONS) pensions
# (1 000 000 at SCALE=province) and drops it after
BENCH_ADJUST_DB ?= bench_adjust
BENCH_PENSIONS ?= $(if $(filter province,$(SCALE)),1000000,100000)
# the monthly payroll builds $(BENCH_PAYROLL_DB) with $(BENCH_RETIREES) retirees
# (1 000 000 at SCALE=province) and drops it after
BENCH_PAYROLL_DB ?= bench_payroll
BENCH_RETIREES ?= $(if $(filter province,$(SCALE)),1000000,100000)
# the month-end close builds $(BENCH_CLOSE_DB) with $(BENCH_RETIREES) retirees paid and
# $(BENCH_CLOSE_CONTRIBUTORS) contribution lines paid (2 000 000 at SCALE=province), drops it
BENCH_CLOSE_DB ?= bench_close
BENCH_CLOSE_CONTRIBUTORS ?= $(if $(filter province,$(SCALE)),2000000,200000)
bench: install
	PENSION_DATABASE_NAME=$(BENCH_DB) $(BIN)/python manage.py bench_person_page --create-database
	PENSION_DATABASE_NAME=$(BENCH_DB) $(BIN)/python manage.py migrate --no-input -v 0
	PENSION_DATABASE_NAME=$(BENCH_DB) $(BIN)/python manage.py load_demo --scale $(SCALE) --if-absent
	PENSION_DATABASE_NAME=$(BENCH_DB) DEBUG=0 $(BIN)/python manage.py bench_person_page --sample 1000 --scale $(SCALE)
	PENSION_DATABASE_NAME=$(BENCH_ASSESS_DB) DEBUG=0 $(BIN)/python manage.py bench_assessment --contributors $(BENCH_CONTRIBUTORS) --drop-database
	PENSION_DATABASE_NAME=$(BENCH_INTEREST_DB) DEBUG=0 $(BIN)/python manage.py bench_interest --accounts $(BENCH_ACCOUNTS) --drop-database
	PENSION_DATABASE_NAME=$(BENCH_ADJUST_DB) DEBUG=0 $(BIN)/python manage.py bench_adjustment --pensions $(BENCH_PENSIONS) --drop-database
	PENSION_DATABASE_NAME=$(BENCH_PAYROLL_DB) DEBUG=0 $(BIN)/python manage.py bench_payroll --retirees $(BENCH_RETIREES) --drop-database
	PENSION_DATABASE_NAME=$(BENCH_CLOSE_DB) DEBUG=0 $(BIN)/python manage.py bench_close --retirees $(BENCH_RETIREES) --contributors $(BENCH_CLOSE_CONTRIBUTORS) --drop-database

stop: install
	$(BIN)/python manage.py runtime stop

# Regenerate both locks from requirements.txt and requirements-dev.txt with pip-tools,
# against PyPI alone (a machine's own pip configuration, find-links or mirrors left
# out), with the hashes of every file PyPI has for each pinned version. Versions already
# pinned are kept; `make lock LOCK_ARGS=--upgrade` moves everything to the newest.
LOCK_VENV := /tmp/pension-lock
LOCK_INDEX ?= https://pypi.org/simple
LOCK_ARGS ?=
PIP_COMPILE := PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL= \
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --strip-extras --allow-unsafe --index-url $(LOCK_INDEX) \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	PIP_CONFIG_FILE=/dev/null $(LOCK_VENV)/bin/pip install --quiet --index-url $(LOCK_INDEX) pip-tools==7.7.0
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -o requirements-dev.lock requirements-dev.txt

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# the nightly risk scan on a database of its own, the demo registers at SCALE (province:
# 4 M people) and a year of payroll, contributions and cases synthesised over them
# (audit/management/commands/bench_risk_scan.py); the database is dropped at the end
BENCH_RISK_DB ?= bench_risk
bench-risk: install
	PENSION_DATABASE_NAME=$(BENCH_RISK_DB) DEBUG=0 $(BIN)/python manage.py bench_risk_scan --scale $(SCALE) --drop-database
