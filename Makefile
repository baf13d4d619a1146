# make run   - install the runtime only, serve every HTTP function on 127.0.0.1:8080 on the embedded store, with a demo key
# make test  - install what the tests need, Chromium too, and run them (starts the Google emulators itself)
# make cloud-local - every function its own process on the Firestore and Pub/Sub emulators
# make bench - run every benchmark in bench/ and print their tables
# make bundles - build what each function uploads into build/bundles/
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip install -q --disable-pip-version-check

.PHONY: run cloud-local test bench bundles clean

# Two stamps in the one virtualenv: the runtime (requirements.txt and the shared package), all
# that `make run` installs; and the test and benchmark tools on top of it (requirements-dev.txt).
# Each is redone when its own files change, in either order of `make run` and `make test`.
$(VENV)/.runtime: requirements.txt shared/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt -e shared
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m inventory.local.server

cloud-local: $(VENV)/.runtime
	$(PY) -m inventory.local.cloud

# checkov has its own pins, so it gets its own virtualenv; tests/cloud/test_infra.py runs it.
.venv-checkov/bin/checkov:
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install -q --disable-pip-version-check checkov==3.3.30

# Square's SDKs (tests/api/test_square_sdk.py) pin their own pydantic and httpx: their own virtualenv too.
.venv-square/.installed:
	$(PYTHON) -m venv .venv-square
	.venv-square/bin/pip install -q --disable-pip-version-check squareup==46.0.0.20260916 squareup-legacy==41.0.0.20250319
	touch $@

# Debian's Chromium, headless, for tests/api/test_docs_page_browser.py; sudo only when not root.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
/usr/bin/chromium:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

# axios and dotenv for the Cannlytics examples run by tests/api/test_cannlytics_examples.py (pinned by the lock file).
CANNLYTICS_NODE := tests/cannlytics/node
$(CANNLYTICS_NODE)/node_modules/.package-lock.json: $(CANNLYTICS_NODE)/package-lock.json
	cd $(CANNLYTICS_NODE) && npm ci --no-audit --no-fund

test: $(VENV)/.installed .venv-checkov/bin/checkov .venv-square/.installed /usr/bin/chromium $(CANNLYTICS_NODE)/node_modules/.package-lock.json
	$(PY) -m pytest

bundles: $(VENV)/.runtime
	$(PY) scripts/build_bundles.py

bench: $(VENV)/.installed
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data build
