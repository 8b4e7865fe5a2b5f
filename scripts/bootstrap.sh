#!/usr/bin/env bash
# Installs what the pipeline and its tests need, only what is missing: the npm dependencies
# (from package-lock.json) and the nsqd, nsqlookupd and FerretDB binaries (built from tools/
# into .bin/). Run by `npm test` (pretest), ./run-e2e-test.sh and .ci/run. Needs Node >= 20.19
# and Go >= 1.26 (tools/k8s-validate's go.mod; Go 1.21 to 1.25 download 1.26 themselves when
# GOTOOLCHAIN=auto and the module proxy is reachable); everything else comes from the npm
# registry and the Go module proxy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (!((major === 20 && minor >= 19) || major >= 22)) {
    console.error(`node ${process.versions.node}: need >=20.19 <21 or >=22 (package.json engines)`);
    process.exit(1);
  }
'

# Installed when missing, and again whenever package-lock.json changed since the last install
# (a pull that adds a dependency), recorded as the lock file's hash in node_modules.
stamp=node_modules/.bootstrap-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/tsx ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ "${BOOTSTRAP_FORCE_NPM:-}" = 1 ]; then
  echo "bootstrap: installing npm dependencies"
  # npm 11's `npm ci` rejects this lock file because vite lists an optional, Windows-only
  # dependency (napi-windows-process-start-time) that the registry does not serve, so the lock
  # cannot hold it ("Missing: ... from lock file"). `npm install` skips it and installs the locked
  # versions; the check after it fails if the lock file was really out of date.
  if ! npm ci --no-audit --no-fund; then
    echo "bootstrap: npm ci refused the lock file; installing the locked versions with npm install"
    before=$(sha256sum package-lock.json)
    npm install --no-audit --no-fund
    if [ "$before" != "$(sha256sum package-lock.json)" ]; then
      echo "bootstrap: package-lock.json is out of date with package.json: run npm install and commit the lock file" >&2
      exit 1
    fi
  fi
  echo "$want" > "$stamp"
fi

# build-services.sh rebuilds only what is missing or older than its sources under tools/.
if command -v go >/dev/null 2>&1; then
  bash scripts/build-services.sh >/dev/null
elif [ ! -x .bin/nsqd ] || [ ! -x .bin/nsqlookupd ] || [ ! -x .bin/ferretdb ]; then
  echo "bootstrap: go not found: Go >= 1.26 is needed to build nsqd, nsqlookupd, ferretdb and k8s-validate" >&2
  exit 1
fi

# Test tools for the monitoring and CI checks: promtool and amtool (Debian's prometheus and
# prometheus-alertmanager packages; needs root or sudo) and actionlint (built from the Go module
# proxy). A failure here is a warning, not the end of bootstrap: the tests that need the tool
# then fail and name the script to run.
bash scripts/install-prometheus-tools.sh >/dev/null || echo "bootstrap: WARNING: promtool/amtool not installed (bash scripts/install-prometheus-tools.sh)" >&2
if command -v go >/dev/null 2>&1; then
  bash scripts/install-actionlint.sh || echo "bootstrap: WARNING: actionlint not built (bash scripts/install-actionlint.sh)" >&2
fi
