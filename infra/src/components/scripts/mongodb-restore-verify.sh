#!/usr/bin/env bash
# Restore drill, step 2: restores the fetched archive's DATABASE collections into SCRATCH_DATABASE
# of the live deployment (mongorestore --nsFrom/--nsTo), then mongodb-restore-verify.js compares
# collection counts with the live database and exits non-zero on a mismatch. The scratch database
# is dropped after a successful check and kept after a failed one, for inspection.
#
# Environment: MONGODB_HOSTS, MONGODB_REPLICA_SET (see mongodb-lib.sh), SCRIPTS_DIR, RESTORE_DIR,
#   DATABASE, SCRATCH_DATABASE, MONGO_ROOT_USERNAME[_FILE], MONGO_ROOT_PASSWORD[_FILE].
set -euo pipefail
# shellcheck source=mongodb-lib.sh
. "$SCRIPTS_DIR/mongodb-lib.sh"

file_env MONGO_ROOT_USERNAME
file_env MONGO_ROOT_PASSWORD
root_auth

shopt -s nullglob
archives=("$RESTORE_DIR"/mongodump-*.archive.gz)
if [ "${#archives[@]}" -ne 1 ]; then
  echo "expected one archive in $RESTORE_DIR, found ${#archives[@]}" >&2
  exit 1
fi
archive="${archives[0]}"
stamp="${archive##*/mongodump-}"
stamp="${stamp%.archive.gz}"
# yyyymmddThhmmssZ -> ISO 8601, read by the verification as the time the dump started.
export BACKUP_STARTED_AT="${stamp:0:4}-${stamp:4:2}-${stamp:6:2}T${stamp:9:2}:${stamp:11:2}:${stamp:13:2}Z"

uri="$(mongo_uri)"
mongosh --quiet "$uri" "${ROOT_AUTH[@]}" --eval "db.getSiblingDB('$SCRATCH_DATABASE').dropDatabase()"
mongorestore --uri "$uri" "${ROOT_AUTH[@]}" --archive="$archive" --gzip \
  --nsInclude="$DATABASE.*" --nsFrom="$DATABASE.*" --nsTo="$SCRATCH_DATABASE.*" --drop
mongosh --quiet "$uri" "${ROOT_AUTH[@]}" --file "$SCRIPTS_DIR/mongodb-restore-verify.js"
