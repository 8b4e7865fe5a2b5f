#!/usr/bin/env bash
# Builds the local service binaries the tests and `scripts/services.ts` run:
#   .bin/nsqd, .bin/nsqlookupd  from tools/nsq      (nsq v1.3.0)
#   .bin/ferretdb               from tools/ferretdb (FerretDB v1.24.2 on SQLite, our wrapper main)
#   .bin/k8s-validate           from tools/k8s-validate (strict Kubernetes decoding, k8s.io/api
#                               v0.37.2; used by infra/src/validate.ts; needs Go >= 1.26)
# A binary is rebuilt only when it is missing or older than its module's go.mod, go.sum or
# Go sources. Usage: bash scripts/build-services.sh [--force]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.bin"
FORCE=0

for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-services: unknown argument '$arg' (only --force)" >&2; exit 2 ;;
  esac
done

if ! command -v go >/dev/null 2>&1; then
  echo "build-services: 'go' not found on PATH. Go >= 1.26 is needed to build nsqd, nsqlookupd, ferretdb and k8s-validate (https://go.dev/doc/install)." >&2
  exit 1
fi

# The newest go.mod here (tools/k8s-validate: k8s.io v0.37) says `go 1.26`, so Go >= 1.26 is
# needed. Go 1.21 to 1.25 can still build: with GOTOOLCHAIN=auto they download the toolchain a
# go.mod asks for, when the module proxy is reachable. Go before 1.21 cannot switch toolchains.
go_minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
if [[ "$go_minor" =~ ^[0-9]+$ ]] && (( go_minor < 26 )); then
  if (( go_minor < 21 )) || [[ "$(go env GOTOOLCHAIN)" == local ]]; then
    echo "build-services: $(go env GOVERSION) is too old; Go >= 1.26 is needed (Go 1.21 to 1.25 fetch it themselves with GOTOOLCHAIN=auto)." >&2
    exit 1
  fi
  echo "build-services: $(go env GOVERSION) is older than 1.26; relying on GOTOOLCHAIN=auto to download Go 1.26." >&2
fi

# -mod=mod lets `go build` complete go.sum when a checksum is missing instead of failing.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
mkdir -p "$BIN"

# needs_build BINARY MODULE_DIR: true when BINARY is missing or older than any input of MODULE_DIR.
needs_build() {
  local binary="$1" module_dir="$2"
  (( FORCE )) && return 0
  [[ -x "$binary" ]] || return 0
  local input
  for input in "$module_dir"/go.mod "$module_dir"/go.sum "$module_dir"/*.go; do
    [[ -e "$input" && "$input" -nt "$binary" ]] && return 0
  done
  return 1
}

built=0
if needs_build "$BIN/nsqd" "$ROOT/tools/nsq" || needs_build "$BIN/nsqlookupd" "$ROOT/tools/nsq"; then
  echo "build-services: building nsqd, nsqlookupd (tools/nsq) -> .bin/"
  start=$SECONDS
  (cd "$ROOT/tools/nsq" && go build -o "$BIN" github.com/nsqio/nsq/apps/nsqd github.com/nsqio/nsq/apps/nsqlookupd)
  touch "$BIN/nsqd" "$BIN/nsqlookupd"
  echo "build-services: nsqd, nsqlookupd built in $((SECONDS - start))s"
  built=1
else
  echo "build-services: nsqd, nsqlookupd up to date"
fi

if needs_build "$BIN/ferretdb" "$ROOT/tools/ferretdb"; then
  echo "build-services: building ferretdb (tools/ferretdb) -> .bin/ferretdb"
  start=$SECONDS
  (cd "$ROOT/tools/ferretdb" && go build -o "$BIN/ferretdb" .)
  touch "$BIN/ferretdb"
  echo "build-services: ferretdb built in $((SECONDS - start))s"
  built=1
else
  echo "build-services: ferretdb up to date"
fi

if needs_build "$BIN/k8s-validate" "$ROOT/tools/k8s-validate"; then
  # k8s.io/api and k8s.io/apimachinery v0.37 declare `go 1.26`; GOTOOLCHAIN=auto may fetch it.
  if [[ "$go_minor" =~ ^[0-9]+$ ]] && (( go_minor < 26 )) && [[ "$(go env GOTOOLCHAIN)" == local ]]; then
    echo "build-services: $(go env GOVERSION) cannot build tools/k8s-validate (k8s.io v0.37 needs Go >= 1.26; or set GOTOOLCHAIN=auto)." >&2
    exit 1
  fi
  echo "build-services: building k8s-validate (tools/k8s-validate) -> .bin/k8s-validate"
  start=$SECONDS
  (cd "$ROOT/tools/k8s-validate" && go build -o "$BIN/k8s-validate" .)
  touch "$BIN/k8s-validate"
  echo "build-services: k8s-validate built in $((SECONDS - start))s"
  built=1
else
  echo "build-services: k8s-validate up to date"
fi

for name in nsqd nsqlookupd ferretdb k8s-validate; do
  [[ -x "$BIN/$name" ]] || { echo "build-services: $BIN/$name missing after build" >&2; exit 1; }
done
(( built )) && echo "build-services: binaries in $BIN" || true
