#!/usr/bin/env bash
# Docker (dev) backups: a loop that runs mongodb-backup-dump.sh every day at BACKUP_TIME (UTC
# HH:MM) into BACKUP_DIR, a named volume, and deletes the archives older than RETENTION_DAYS. The
# dev backend network has no route out, so dev backups stay on the machine.
#
# The outcome of the last run is written to BACKUP_DIR/.last-status (`ok` or `failed`) for the
# container healthcheck.
#
# Environment: everything mongodb-backup-dump.sh reads, plus BACKUP_TIME and RETENTION_DAYS.
set -euo pipefail

status_file="$BACKUP_DIR/.last-status"
while true; do
  now="$(date -u +%s)"
  next="$(date -u -d "today $BACKUP_TIME" +%s)"
  if [ "$next" -le "$now" ]; then next="$(date -u -d "tomorrow $BACKUP_TIME" +%s)"; fi
  echo "next backup at $(date -u -d "@$next" +%Y-%m-%dT%H:%M:%SZ)"
  sleep "$((next - now))"
  if bash "$SCRIPTS_DIR/mongodb-backup-dump.sh"; then
    find "$BACKUP_DIR" -maxdepth 1 -name 'mongodump-*.archive.gz' -mmin "+$((RETENTION_DAYS * 1440))" -print -delete
    echo ok >"$status_file"
  else
    echo failed >"$status_file"
  fi
done
