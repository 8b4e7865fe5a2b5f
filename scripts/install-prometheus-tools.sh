#!/usr/bin/env bash
# Installs `promtool` and `amtool`, which the alert tests run (tests/monitoring/alerts.test.ts,
# tests/monitoring/alertmanager.test.ts): `promtool check rules` / `promtool test rules` on
# alerts/, `amtool check-config` / `amtool config routes test` on the rendered Alertmanager
# config; and the `prometheus` server binary of the same package, which the live check of the
# dashboards and alerts starts (scripts/prometheus-live-check.ts). Idempotent: does nothing when
# all three are already on PATH.
#
# Source: Debian's packages (bookworm: prometheus 2.42.0, prometheus-alertmanager 0.25.0). Only
# the command-line tools are wanted; any daemon the package scripts start is stopped again, so
# that nothing keeps running on this machine after the install.
set -euo pipefail

TOOLS=(promtool amtool prometheus)

missing=0
for tool in "${TOOLS[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing=1
done
if [ "$missing" = 0 ]; then
  echo "install-prometheus-tools: ${TOOLS[*]} already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-prometheus-tools: need root (or sudo) to apt-get install prometheus prometheus-alertmanager" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prometheus-tools: apt-get not found; install promtool and amtool (Prometheus 2.42+, Alertmanager 0.25+) by hand" >&2
  exit 1
fi

# Process ids of Prometheus/Alertmanager daemons. `comm` is cut to 15 characters by the kernel,
# hence `prometheus-aler` for the Debian binary `prometheus-alertmanager`.
daemon_pids() {
  ps -eo pid=,comm= | awk '$2 == "prometheus" || $2 == "alertmanager" || $2 == "prometheus-aler" { print $1 }'
}

# Daemons already running before the install are not ours to stop.
running_before=$(daemon_pids)

# Keep the package scripts from starting services where policy-rc.d is honoured (invoke-rc.d);
# only when no policy exists yet, and removed again afterwards.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  added_policy=1
fi
cleanup() {
  if [ "$added_policy" = 1 ]; then "${as_root[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends prometheus prometheus-alertmanager

# Stop any daemon the install started (systemd hosts, or a postinst that started one anyway).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for unit in prometheus prometheus-alertmanager; do
    "${as_root[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi
for pid in $(daemon_pids); do
  if ! grep -qx "$pid" <<<"$running_before"; then
    echo "install-prometheus-tools: stopping daemon pid $pid started by the package install"
    "${as_root[@]}" kill "$pid" || true
  fi
done

for tool in "${TOOLS[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-prometheus-tools: $tool still missing after the install" >&2
    exit 1
  fi
done
echo "install-prometheus-tools: $(promtool --version 2>&1 | head -1)"
echo "install-prometheus-tools: $(amtool --version 2>&1 | head -1)"
