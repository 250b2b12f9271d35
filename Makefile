# The two commands a newcomer needs: `make demo` and `make test`.
# Everything is idempotent; a second run only redoes what changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The BankID simulator beside `make demo` (manage.py bankid_simulator).
BANKID_PORT ?= 8001

.PHONY: setup demo test test-browser system-packages lint migrate worker serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## setup: create .venv and install the pinned requirements
setup: $(STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

## demo: the portal with demo data on SQLite at http://$(HOST):$(PORT)/
demo: migrate
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "The portal runs at http://$(HOST):$(PORT)/ — the admin at http://$(HOST):$(PORT)/admin/ (Ctrl-C stops it)."
	@echo "A task worker (e-mail, checkpoints) runs beside it; e-mails are printed here."
	@echo "Recipients log in at http://$(HOST):$(PORT)/logga-in/ through the BankID simulator at http://127.0.0.1:$(BANKID_PORT)/ (play the BankID app there: pick a test person)."
	$(BIN)/python manage.py db_worker --interval 2 --no-startup-delay & worker=$$!; \
	  $(BIN)/python manage.py bankid_simulator --port $(BANKID_PORT) & bankid=$$!; \
	  trap 'kill $$worker $$bankid 2>/dev/null' EXIT INT TERM; \
	  PORTAL_BANKID_SIMULATOR_URL=http://127.0.0.1:$(BANKID_PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## worker: the background task worker alone (e-mail, anchoring)
worker: migrate
	$(BIN)/python manage.py db_worker

## lint: ruff, Django's checks and the migrations check
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

## test: lint, then the whole pytest suite, browser tests included (DATABASE_URL chooses the database; SQLite by default)
test: lint system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-browser: only the browser tests (tests/browser: Playwright driving Debian's Chromium)
test-browser: setup system-packages
	$(BIN)/python -m pytest tests/browser -m browser $(PYTEST_ARGS)

# Debian packages the tests use: Chromium (browser tests), poppler-utils (PDF to image, fonts),
# DejaVu fonts (Swedish letters in PDFs and screenshots). Installed when missing and we are root;
# otherwise a note (the browser tests are then skipped, with the reason).
system-packages:
	@missing=""; \
	  [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	  command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	  [ -d /usr/share/fonts/truetype/dejavu ] || missing="$$missing fonts-dejavu-core"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "== installing Debian packages:$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else \
	      echo "note: missing Debian packages:$$missing (apt-get install$$missing); browser tests will be skipped"; \
	    fi; \
	  fi

clean:
	rm -rf $(VENV) db.sqlite3 var media static_collected
