# Two commands for a new user: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=

# Python caches the modules it compiles (in __pycache__, git-ignored) even where the
# environment says PYTHONDONTWRITEBYTECODE: every xdist worker and every `dangjian` process
# would otherwise compile the project again, and pytest rewrite every test module (≈ 11 s of
# each worker's collection). So the install need not compile all of site-packages ahead
# (--no-compile, ≈ 17 s of `pip install`): what is imported is compiled once, when first used.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: demo test install browser lint serve clean bench faults

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-compile --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

# Debian's chromium for the browser tests (Playwright drives it; no browser download), and
# the CJK fonts and pango WeasyPrint renders the PDFs (介绍信, receipts, records) with.
DEBS := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
browser:
	@dpkg -s $(DEBS) >/dev/null 2>&1 || { \
	  echo "Installing Debian's $(DEBS)..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEBS); }

# Static files with hashed names and gzip/Brotli copies (WhiteNoise serves them; see
# dangjian/core/staticfiles.py), collected again only when a source or the install changed.
STATIC_MANIFEST := staticfiles/staticfiles.json
$(STATIC_MANIFEST): $(STAMP) $(shell find dangjian/static -type f)
	$(BIN)/dangjian collectstatic --noinput --verbosity 0

demo: install $(STATIC_MANIFEST)
	$(BIN)/dangjian migrate --noinput
	$(BIN)/dangjian seed_demo --scale small --if-empty --accounts-out demo-accounts.json
	$(BIN)/dangjian kb_import_banks --if-available --save-index
	@echo "Demo accounts: demo-accounts.json (also listed in README.md)."
	@echo "Serving on http://127.0.0.1:$(PORT)/"
	$(BIN)/dangjian runserver 127.0.0.1:$(PORT)

test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/dangjian makemigrations --check --dry-run
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# Load bench (not part of `make test`): gunicorn on 127.0.0.1, a seeded temporary database,
# 20 clients for 30 s per endpoint; see bench/README.md.
bench: install
	$(BIN)/pip install --quiet --no-compile --disable-pip-version-check -e ".[dev,bench]"
	$(BIN)/python bench/load.py $(BENCH_ARGS)

# Fault suite (not part of `make test`): its own PostgreSQL, Redis, gunicorn, Celery worker
# and beat on 127.0.0.1 under a mixed load; stops the database, the cache, kills the
# worker, exhausts connections, fills the upload disk. Needs Debian's postgresql and
# redis-server; run as root for the tmpfs upload disk. See docs/operations.md.
faults: install
	$(BIN)/pip install --quiet --no-compile --disable-pip-version-check -e ".[dev,bench]"
	$(BIN)/python -m tests.faults.run $(FAULTS_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var demo-accounts.json .pytest_cache .ruff_cache staticfiles
