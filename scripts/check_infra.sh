#!/usr/bin/env bash
# Static checks of infra/ with checkov, in its own venv (its pins conflict with the project's).
# Any failed check fails the run: fix it, or skip it in the .tf file next to the resource with
# `#checkov:skip=CKV_...: reason`. (--hard-fail-on HIGH,CRITICAL is no use here: severities
# come from the Prisma Cloud API, so offline every check has none and nothing would ever fail.)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-checkov
if [ ! -x "$VENV/bin/checkov" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check checkov==3.3.30
fi
exec "$VENV/bin/checkov" -d infra --framework terraform --compact --quiet --skip-download "$@"
