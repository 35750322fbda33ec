# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The local run: embedded defaults (SQLite, tasks in process, email to the console).
RUN_ENV := DEBUG=1

.PHONY: run test lint check messages bench bench-cpu clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12 or newer is needed (found " + sys.version.split()[0] + "): set PYTHON=python3.13")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# axe-core for the accessibility checks of the end-to-end tests (skipped without npm).
node_modules/.installed: package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility checks will fail; install Node.js"; fi

run: $(VENV)/.installed
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py demo_data
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -c pyproject.toml -r helpdesk cards providers --severity-level medium --confidence-level medium -q

check: $(VENV)/.installed
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	SECRET_KEY=check-deploy-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz ALLOWED_HOSTS=helpdesk.example.ro \
		$(PY) manage.py check --deploy --fail-level WARNING

# The benchmark (PostgreSQL and Redis on 127.0.0.1; BENCH_ARGS="--sizes 10000" for one size).
bench: $(VENV)/.installed
	$(PY) -m bench.run $(BENCH_ARGS)

# CPU per request of each scenario, in process, on a database `make bench` seeded.
bench-cpu: $(VENV)/.installed
	$(PY) -m bench.cpu $(BENCH_ARGS)

# Refresh the Romanian catalogue after changing user-facing text, then compile it.
messages: $(VENV)/.installed
	$(RUN_ENV) $(PY) manage.py makemessages -l ro --no-location --ignore=.venv --ignore=var --ignore=staticfiles
	$(RUN_ENV) $(PY) manage.py compilemessages -l ro --ignore=.venv --ignore=var

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
