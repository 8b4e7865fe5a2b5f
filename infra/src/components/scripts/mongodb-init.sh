#!/usr/bin/env bash
# MongoDB initialisation, idempotent (runs on every `pulumi up` that changes it):
#   1. waits for every member to answer ping;
#   2. replica set only: initiates the set from member 0 when it is not initiated yet;
#   3. mongodb-init.js: adds new members, creates or updates the app and exporter users, creates
#      the checklist indexes and checks that they all exist.
#
# Environment: MONGODB_HOSTS, MONGODB_REPLICA_SET (see mongodb-lib.sh), SCRIPTS_DIR,
#   MONGO_ROOT_USERNAME[_FILE], MONGO_ROOT_PASSWORD[_FILE], MONGODB_APP_USERNAME[_FILE],
#   MONGODB_APP_PASSWORD[_FILE], and optionally MONGODB_EXPORTER_USERNAME with
#   MONGODB_EXPORTER_PASSWORD[_FILE].
set -euo pipefail
# shellcheck source=mongodb-lib.sh
. "$SCRIPTS_DIR/mongodb-lib.sh"

file_env MONGO_ROOT_USERNAME
file_env MONGO_ROOT_PASSWORD
file_env MONGODB_APP_USERNAME
file_env MONGODB_APP_PASSWORD
if [ -n "${MONGODB_EXPORTER_USERNAME:-}" ]; then file_env MONGODB_EXPORTER_PASSWORD; fi
root_auth

IFS=, read -r -a hosts <<<"$MONGODB_HOSTS"
for host in "${hosts[@]}"; do wait_for_mongod "$host"; done

if [ -n "${MONGODB_REPLICA_SET:-}" ]; then
  # Before the set exists there is no primary to select: talk to member 0 directly.
  mongosh --quiet "mongodb://${hosts[0]}/?directConnection=true" "${ROOT_AUTH[@]}" \
    --file "$SCRIPTS_DIR/mongodb-replica-set.js"
fi
mongosh --quiet "$(mongo_uri)" "${ROOT_AUTH[@]}" --file "$SCRIPTS_DIR/mongodb-init.js"
