#!/usr/bin/env bash
# Prompt-optimisation analysis of an e2e report (checklist: "Analyze test results with
# analyze-results.sh", "Identify top 3 missing fields").
# Usage: ./analyze-results.sh [REPORT.json] [--json]   (default: reports/latest.json)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node --import "file://$here/node_modules/tsx/dist/loader.mjs" "$here/scripts/analyze.ts" "$@"
