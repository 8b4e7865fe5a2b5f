# Helpers shared by the MongoDB Job scripts (bash). Sourced, never run on its own.
#
# Environment:
#   MONGODB_HOSTS        comma-separated host:port of every member, member 0 first
#   MONGODB_REPLICA_SET  replica set name; empty or unset for a standalone server (dev)

# file_env VAR: sets VAR from the file named by VAR_FILE when that is set (Docker secret files under
# /run/secrets, the convention of the official mongo image's entrypoint), then insists VAR is set.
file_env() {
  local var="$1" file_var="${1}_FILE"
  if [ -n "${!file_var:-}" ]; then
    export "$var"="$(cat "${!file_var}")"
  fi
  if [ -z "${!var:-}" ]; then
    echo "$var (or ${var}_FILE) is required" >&2
    return 1
  fi
}

# mongo_uri [PARAM=VALUE...]: the seed-list URI of MONGODB_HOSTS, without credentials (they go in
# --username/--password so that they never appear in a URI that a tool might log).
mongo_uri() {
  local params=()
  if [ -n "${MONGODB_REPLICA_SET:-}" ]; then params+=("replicaSet=$MONGODB_REPLICA_SET"); fi
  params+=("$@")
  local query
  query="$(IFS='&'; echo "${params[*]}")"
  echo "mongodb://${MONGODB_HOSTS}/${query:+?$query}"
}

# root_auth: the credential flags of the root user for mongosh, mongodump and mongorestore.
root_auth() {
  ROOT_AUTH=(--username "$MONGO_ROOT_USERNAME" --password "$MONGO_ROOT_PASSWORD" --authenticationDatabase admin)
}

# wait_for_mongod HOST: until the server answers `ping` (allowed without authentication), at most
# WAIT_ATTEMPTS times 5 seconds.
wait_for_mongod() {
  local host="$1" attempt
  for attempt in $(seq 1 "${WAIT_ATTEMPTS:-60}"); do
    if mongosh --quiet "mongodb://$host/?directConnection=true&serverSelectionTimeoutMS=3000" \
      --eval 'db.adminCommand({ ping: 1 }).ok' >/dev/null 2>&1; then
      return 0
    fi
    echo "waiting for $host (attempt $attempt)"
    sleep 5
  done
  echo "$host did not answer ping" >&2
  return 1
}
