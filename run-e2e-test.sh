#!/usr/bin/env bash
# End-to-end run of the enrichment pipeline on real documents (checklist: "Run E2E test").
# On a fresh clone it installs the npm dependencies and builds nsqd, nsqlookupd and FerretDB
# first (needs Node 20.19+ and Go 1.22+). Options: see `./run-e2e-test.sh --help`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ ! -x node_modules/.bin/tsx ]; then
  echo "== installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
if [ ! -x .bin/nsqd ] || [ ! -x .bin/nsqlookupd ] || [ ! -x .bin/ferretdb ]; then
  echo "== building nsqd, nsqlookupd and FerretDB into .bin/"
  bash scripts/build-services.sh
fi
exec node --import "file://$PWD/node_modules/tsx/dist/loader.mjs" scripts/e2e.ts "$@"
