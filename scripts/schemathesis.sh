#!/usr/bin/env bash
# Runs schemathesis (the API contract fuzzer) from a pinned venv under $TRAWL_HOME, creating
# it on first use. `bash scripts/schemathesis.sh install` only sets it up (setup.sh calls
# that); any other arguments go to `schemathesis` (e.g. `run URL/api/openapi.json ...`).
# Nothing is written inside the repository.
set -euo pipefail

TRAWL_HOME="${TRAWL_HOME:-$HOME/.cache/trawl}"
PY="${TRAWL_PYTHON:-python3}"
# Pinned: a new release adds checks, and the contract test must not change its verdict on an
# unchanged server.
VERSION="4.32.5"
VENV="$TRAWL_HOME/schemathesis-$VERSION"
# Written last, so a half-finished install is redone rather than trusted.
STAMP="$VENV/.trawl-installed"

if [[ ! -f "$STAMP" ]]; then
  echo "schemathesis: installing $VERSION into $VENV" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --progress-bar off "schemathesis==$VERSION" >&2
  touch "$STAMP"
fi
[[ "${1:-}" == install ]] && exit 0
exec "$VENV/bin/schemathesis" "$@"
