#!/bin/sh
# Creates every topic of NSQ_TOPICS on every nsqd of NSQD_HTTP_ADDRESSES through nsqd's HTTP API
# (POST /topic/create?topic=...), retrying while the nsqd is not up yet, then confirms each topic in
# that nsqd's /stats. Creating a topic that exists is a no-op, so the script is idempotent.
# POSIX sh + wget (busybox in the nsqio/nsq image).
#
# Environment: NSQD_HTTP_ADDRESSES (comma-separated host:port), NSQ_TOPICS (comma-separated),
#   ATTEMPTS (default 60) and RETRY_SECONDS (default 5) per topic and nsqd.
set -eu

attempts="${ATTEMPTS:-60}"
retry_seconds="${RETRY_SECONDS:-5}"

create_topic() {
  address="$1"
  topic="$2"
  n=0
  until wget -q -O /dev/null --post-data '' "http://$address/topic/create?topic=$topic"; do
    n=$((n + 1))
    if [ "$n" -ge "$attempts" ]; then
      echo "could not create topic $topic on $address after $n attempts" >&2
      return 1
    fi
    echo "retrying topic $topic on $address ($n)"
    sleep "$retry_seconds"
  done
  if ! wget -q -O - "http://$address/stats?format=json&topic=$topic" | grep -q "\"topic_name\":\"$topic\""; then
    echo "topic $topic missing from http://$address/stats" >&2
    return 1
  fi
  echo "topic $topic present on $address"
}

for address in $(echo "$NSQD_HTTP_ADDRESSES" | tr ',' ' '); do
  for topic in $(echo "$NSQ_TOPICS" | tr ',' ' '); do
    create_topic "$address" "$topic"
  done
done
