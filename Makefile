# make run   - serve every HTTP function on 127.0.0.1:8080 on the embedded store, with a demo key
# make test  - install what the tests need and run them (starts the Google emulators itself)
# make bench - run every benchmark in bench/ and print their tables
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt shared/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt -e shared
	touch $@

run: $(VENV)/.installed
	$(PY) -m inventory.local.server

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data build
