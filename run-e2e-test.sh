#!/usr/bin/env bash
# End-to-end run of the enrichment pipeline on real documents (checklist: "Run E2E test").
# On a fresh clone it installs the npm dependencies and builds nsqd, nsqlookupd and FerretDB
# first (needs Node 20.19+ and Go 1.22+). Options: see `./run-e2e-test.sh --help`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/bootstrap.sh
exec node --import "file://$PWD/node_modules/tsx/dist/loader.mjs" scripts/e2e.ts "$@"
