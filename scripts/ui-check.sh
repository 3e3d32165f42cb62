#!/usr/bin/env bash
# Browser check of the web UI: builds trawl, indexes the fixtures with access
# groups, creates keys, starts the server on a free loopback port and drives
# the UI in headless Chromium (Debian's `chromium`, via playwright-core from
# npm). Screenshots go to target/ui-check/. Needs node, npm and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
OUT=${OUT:-$PWD/target/ui-check}
# Debian's chromium, installed like the set-up's other system packages when we are root
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > /dev/null
  else
    echo "ui-check needs Chromium at $CHROMIUM: apt-get install chromium (or set CHROMIUM)" >&2
    exit 1
  fi
fi
export CHROMIUM
$CARGO build --locked --quiet
BIN=${CARGO_TARGET_DIR:-target}/debug/trawl
(cd web/tests/ui && npm ci --no-audit --no-fund --silent)

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

docs=$tmp/docs
mkdir -p "$docs/hr" "$docs/kb" "$docs/public" "$OUT"
cp tests/fixtures/docs/hr/*.md "$docs/hr/"
cp tests/fixtures/docs/kb/password-requirements.md tests/fixtures/docs/kb/security-incidents.md "$docs/kb/"
cp tests/fixtures/docs/kb/going-out-of-office.md "$docs/public/"
echo '{"groups": ["hr"], "tags": ["policy"], "custodian": "p.hr", "date": "2023-03-01"}' > "$docs/hr/_trawl.meta.json"
echo '{"groups": ["it"], "tags": ["secret"], "custodian": "i.t", "date": "2024-06-01"}' > "$docs/kb/_trawl.meta.json"
echo '{"tags": ["kb"], "date": "2024-01-15"}' > "$docs/public/_trawl.meta.json"
# UI_BACKEND=solr://…/COLLECTION: the same check on a cluster backend (an empty collection of
# the trawl configset, e.g. `scripts/cluster.sh create uicheck`); it stops after the document
# view, since uploads and review need an embedded index.
BACKEND_ARGS=()
if [ -n "${UI_BACKEND:-}" ]; then BACKEND_ARGS=(--backend "$UI_BACKEND"); fi
"$BIN" index "$docs" --index "$tmp/idx" "${BACKEND_ARGS[@]}" --json > /dev/null
: > "$tmp/trawl.toml"
export TRAWL_CONFIG=$tmp/trawl.toml
KEY_HR=$("$BIN" keys create --name hr-alice --groups hr 2>/dev/null)
KEY_ADMIN=$("$BIN" keys create --name admin --admin 2>/dev/null)
"$BIN" keys create --name it-bob --groups it > /dev/null 2>&1

"$BIN" serve --index "$tmp/idx" --addr 127.0.0.1:0 "${BACKEND_ARGS[@]}" > "$tmp/serve.out" 2> "$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q 'http://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.2; done
BASE=$(grep -o 'http://[^ ]*' "$tmp/serve.out" | sed 's:/$::')
[ -n "$BASE" ] || { cat "$tmp/serve.log"; exit 1; }

BASE=$BASE KEY_HR=$KEY_HR KEY_ADMIN=$KEY_ADMIN OUT=$OUT CLUSTER=${UI_BACKEND:+1} node web/tests/ui/ui.mjs
