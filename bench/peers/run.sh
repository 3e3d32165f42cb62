#!/usr/bin/env bash
# Side-by-side comparison of trawl with LanceDB and Chroma (see README.md).
#
# Creates (or reuses) a venv under $TRAWL_HOME/peers-venv with the pinned,
# hash-checked requirements, then runs `peers.py run`; every argument is passed
# on (`bash bench/peers/run.sh --help` lists them).
#
# Environment:
#   TRAWL_HOME  default ~/.cache/trawl (the venv and the work folder live there)
#   TRAWL_BIN   trawl binary, default <repo>/target/release/trawl
#   PYTHON      interpreter that creates the venv, default python3
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export TRAWL_HOME="${TRAWL_HOME:-$HOME/.cache/trawl}"
export TRAWL_BIN="${TRAWL_BIN:-$repo/target/release/trawl}"
python="${PYTHON:-python3}"
venv="$TRAWL_HOME/peers-venv"
requirements="$here/requirements.txt"
pip_requirements="$here/pip-requirements.txt"

wants_help=false
for arg in "$@"; do
    [[ "$arg" == "-h" || "$arg" == "--help" ]] && wants_help=true
done
if [[ "$wants_help" == false && ! -x "$TRAWL_BIN" ]]; then
    echo "trawl binary not found at $TRAWL_BIN: run \`cargo build --release\` (or set TRAWL_BIN)" >&2
    exit 1
fi

# Reinstall only when the requirements changed since the venv was made.
want=$(cat "$pip_requirements" "$requirements" | sha256sum | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "peers: creating $venv (pinned LanceDB and Chroma from PyPI)…" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --require-hashes --only-binary=:all: -r "$pip_requirements"
    "$venv/bin/python" -m pip install --quiet --require-hashes --only-binary=:all: -r "$requirements"
    echo "$want" >"$stamp"
fi

exec "$venv/bin/python" "$here/peers.py" run "$@"
