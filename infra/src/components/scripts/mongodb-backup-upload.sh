#!/usr/bin/env bash
# Uploads the archive mongodb-backup-dump.sh left in BACKUP_DIR to S3-compatible storage, checks
# the stored size, then deletes the backups older than RETENTION_DAYS under the same prefix.
#
# Retention reads each backup's time from its name (mongodump-<yyyymmddThhmmssZ>.archive.gz), not
# from the store's LastModified, so copies and re-uploads keep their age. Deletion runs only after
# a successful upload, so the newest backup always survives however long the schedule was broken.
#
# Environment: BACKUP_DIR, S3_ENDPOINT, S3_BUCKET, S3_PREFIX (may be empty), RETENTION_DAYS, and
#   the AWS CLI's own AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (or any other
#   credential source of the CLI's default chain, such as a web identity token).
set -euo pipefail
export LC_ALL=C

prefix="${S3_PREFIX%/}"
prefix="${prefix:+$prefix/}"
s3() { aws --endpoint-url "$S3_ENDPOINT" "$@"; }

shopt -s nullglob
archives=("$BACKUP_DIR"/mongodump-*.archive.gz)
if [ "${#archives[@]}" -ne 1 ]; then
  echo "expected one archive in $BACKUP_DIR, found ${#archives[@]}" >&2
  exit 1
fi
archive="${archives[0]}"
key="$prefix$(basename "$archive")"

s3 s3 cp "$archive" "s3://$S3_BUCKET/$key" --only-show-errors
local_size="$(stat -c %s "$archive")"
stored_size="$(s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" --query ContentLength --output text)"
if [ "$local_size" != "$stored_size" ]; then
  echo "s3://$S3_BUCKET/$key holds $stored_size bytes, the archive has $local_size" >&2
  exit 1
fi
echo "uploaded s3://$S3_BUCKET/$key ($local_size bytes)"

cutoff="$(date -u -d "-${RETENTION_DAYS} days" +%Y%m%dT%H%M%SZ)"
listing="$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "${prefix}mongodump-" --query 'Contents[].Key' --output text)"
deleted=0
while read -r old; do
  stamp="${old##*/}"
  stamp="${stamp#mongodump-}"
  stamp="${stamp%.archive.gz}"
  if [[ "$stamp" =~ ^[0-9]{8}T[0-9]{6}Z$ && "$stamp" < "$cutoff" ]]; then
    s3 s3 rm "s3://$S3_BUCKET/$old" --only-show-errors
    echo "deleted s3://$S3_BUCKET/$old"
    deleted=$((deleted + 1))
  fi
done < <(tr '\t' '\n' <<<"$listing" | grep -v -e '^None$' -e '^$' || true)
echo "retention ${RETENTION_DAYS} days: deleted $deleted backup(s) older than $cutoff"
