#!/usr/bin/env bash
# Restore drill, step 1: downloads the newest backup under S3_PREFIX into RESTORE_DIR. The newest
# is the greatest name (mongodump-<yyyymmddThhmmssZ>.archive.gz sorts by time).
#
# Environment: RESTORE_DIR, S3_ENDPOINT, S3_BUCKET, S3_PREFIX, and the AWS CLI's credentials.
set -euo pipefail
export LC_ALL=C

prefix="${S3_PREFIX%/}"
prefix="${prefix:+$prefix/}"
s3() { aws --endpoint-url "$S3_ENDPOINT" "$@"; }

listing="$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "${prefix}mongodump-" --query 'Contents[].Key' --output text)"
latest="$(tr '\t' '\n' <<<"$listing" | grep -E 'mongodump-[0-9]{8}T[0-9]{6}Z\.archive\.gz$' | sort | tail -n 1 || true)"
if [ -z "$latest" ]; then
  echo "no backup under s3://$S3_BUCKET/$prefix" >&2
  exit 1
fi
s3 s3 cp "s3://$S3_BUCKET/$latest" "$RESTORE_DIR/${latest##*/}" --only-show-errors
echo "fetched s3://$S3_BUCKET/$latest"
