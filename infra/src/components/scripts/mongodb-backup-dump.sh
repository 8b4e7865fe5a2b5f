#!/usr/bin/env bash
# Dumps the whole deployment into BACKUP_DIR/mongodump-<UTC yyyymmddThhmmssZ>.archive.gz with
# `mongodump --archive --gzip`. The timestamp in the name is the dump's start time: the retention
# and restore scripts read it from the name.
#
# On a replica set the dump reads from a secondary when one is available and adds --oplog, so the
# archive is a consistent point in time (mongorestore --oplogReplay) rather than a smear.
#
# Environment: MONGODB_HOSTS, MONGODB_REPLICA_SET (see mongodb-lib.sh), SCRIPTS_DIR, BACKUP_DIR,
#   MONGO_ROOT_USERNAME[_FILE], MONGO_ROOT_PASSWORD[_FILE].
set -euo pipefail
# shellcheck source=mongodb-lib.sh
. "$SCRIPTS_DIR/mongodb-lib.sh"

file_env MONGO_ROOT_USERNAME
file_env MONGO_ROOT_PASSWORD
root_auth

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
archive="$BACKUP_DIR/mongodump-$stamp.archive.gz"
extra=()
if [ -n "${MONGODB_REPLICA_SET:-}" ]; then extra+=(--oplog); fi

# Written under a temporary name: a dump cut short never looks like a backup.
mongodump --uri "$(mongo_uri readPreference=secondaryPreferred)" "${ROOT_AUTH[@]}" \
  --archive="$archive.partial" --gzip "${extra[@]}"
mv "$archive.partial" "$archive"
echo "dumped $(stat -c %s "$archive") bytes to $archive"
