#!/usr/bin/env bash
# Smoke check of the local SolrCloud (scripts/cluster.sh): BM25 and kNN with the permission
# filter inside retrieval, kill -9 of a node under query load, rejoin. Brings the cluster up if it
# is not; leaves it running. Details in scripts/cluster/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/cluster.sh" up </dev/null
exec python3 -B "$here/cluster/smoke.py"
