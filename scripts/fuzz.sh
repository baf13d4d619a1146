#!/usr/bin/env bash
# The long fuzz run: schemathesis over every operation of the local server (every phase,
# stateful included), with a random seed unless SEED is set. Extra arguments go to
# `schemathesis run`, e.g. scripts/fuzz.sh --max-time 1800.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" scripts/fuzz.py --max-examples "${MAX_EXAMPLES:-300}" \
    --phases examples,coverage,fuzzing,stateful ${SEED:+--seed "$SEED"} \
    --report junit --report-dir build/fuzz "$@"
