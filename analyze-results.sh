#!/usr/bin/env bash
# Prompt-optimisation analysis of an e2e report (checklist: "Analyze test results with
# analyze-results.sh", "Identify top 3 missing fields").
# Usage: ./analyze-results.sh [REPORT.json] [--json]   (default: reports/latest.json)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec node --import "file://$PWD/node_modules/tsx/dist/loader.mjs" scripts/analyze.ts "$@"
