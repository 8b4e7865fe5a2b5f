#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter, github.com/rhysd/actionlint) from the Go
# module proxy into .tools/bin/, for tests/ci/workflows.test.ts. Idempotent: does nothing when the
# pinned version is already built (recorded in .tools/actionlint.version). Needs Go >= 1.22.
# Usage: bash scripts/install-actionlint.sh [--force]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Pinned: bump here (and nowhere else); the test reads the recorded version from the stamp file.
ACTIONLINT_VERSION=v1.7.12

tools_dir="$PWD/.tools"
bin="$tools_dir/bin/actionlint"
stamp="$tools_dir/actionlint.version"

if [ "${1:-}" != "--force" ] && [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$ACTIONLINT_VERSION" ]; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-actionlint: go not found: Go >= 1.22 is needed to build actionlint $ACTIONLINT_VERSION" >&2
  exit 1
fi

echo "install-actionlint: building github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION into .tools/bin"
mkdir -p "$tools_dir/bin"
GOBIN="$tools_dir/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
"$bin" -version >/dev/null
echo "$ACTIONLINT_VERSION" > "$stamp"
echo "install-actionlint: $("$bin" -version | head -n 1)"
