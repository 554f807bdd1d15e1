#!/usr/bin/env bash
# npm run bench: builds the core, makes sure the S3 server and the peer tools are there, then runs
# scripts/bench.mjs (core vs `aws s3 cp` vs rclone, 1 GiB by default: BENCH_SIZE_MIB to change).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${S3_ENDPOINT:-}" ]; then
  # s3-server.sh prints `export ...` lines for the endpoint and keys.
  eval "$(bash scripts/s3-server.sh start | grep '^export ')"
fi
missing=()
[ -x /usr/bin/aws ] || missing+=(awscli)
command -v rclone >/dev/null || missing+=(rclone)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# The tree may hold other modules with type errors mid-work: tsc still emits, and the bench only
# needs the storage modules.
npx tsc -p . >/dev/null || echo "bench: tsc reported errors elsewhere; using the emitted out/" >&2
test -f out/src/core/storage/s3Storage.js

exec node --no-warnings scripts/bench.mjs "$@"
