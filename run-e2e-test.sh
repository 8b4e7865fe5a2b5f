#!/usr/bin/env bash
# End-to-end run of the enrichment pipeline on real documents (checklist: "Run E2E test").
# On a fresh clone it installs the npm dependencies and builds nsqd, nsqlookupd and FerretDB
# first (needs Node 20.19+ and Go 1.22+). Options: see `./run-e2e-test.sh --help`.
# Paths in the options are relative to where you run it from.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/scripts/bootstrap.sh"
exec node --import "file://$here/node_modules/tsx/dist/loader.mjs" "$here/scripts/e2e.ts" "$@"
