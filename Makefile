# make run   - serve every HTTP function on 127.0.0.1:8080 on the embedded store, with a demo key
# make test  - install what the tests need, Chromium too, and run them (starts the Google emulators itself)
# make cloud-local - every function its own process on the Firestore and Pub/Sub emulators
# make bench - run every benchmark in bench/ and print their tables
# make bundles - build what each function uploads into build/bundles/
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run cloud-local test bench bundles clean

$(VENV)/.installed: requirements.txt requirements-dev.txt shared/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt -e shared
	touch $@

run: $(VENV)/.installed
	$(PY) -m inventory.local.server

cloud-local: $(VENV)/.installed
	$(PY) -m inventory.local.cloud

# checkov has its own pins, so it gets its own virtualenv; tests/test_infra.py runs it.
.venv-checkov/bin/checkov:
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install -q --disable-pip-version-check checkov==3.3.30

# Square's SDKs (tests/test_square_sdk.py) pin their own pydantic and httpx: their own virtualenv too.
.venv-square/.installed:
	$(PYTHON) -m venv .venv-square
	.venv-square/bin/pip install -q --disable-pip-version-check squareup==46.0.0.20260916 squareup-legacy==41.0.0.20250319
	touch $@

# Debian's Chromium, headless, for tests/test_docs_page_browser.py; sudo only when not root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
/usr/bin/chromium:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

# axios and dotenv for the Cannlytics examples run by tests/test_cannlytics_examples.py (pinned by the lock file).
CANNLYTICS_NODE := tests/cannlytics/node
$(CANNLYTICS_NODE)/node_modules/.package-lock.json: $(CANNLYTICS_NODE)/package-lock.json
	cd $(CANNLYTICS_NODE) && npm ci --no-audit --no-fund

test: $(VENV)/.installed .venv-checkov/bin/checkov .venv-square/.installed /usr/bin/chromium $(CANNLYTICS_NODE)/node_modules/.package-lock.json
	$(PY) -m pytest

bundles: $(VENV)/.installed
	$(PY) scripts/build_bundles.py

bench: $(VENV)/.installed
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data build
