#!/usr/bin/env bash
# npm run bench: builds out/ and the CLI bundle, makes sure the S3 server and the peer tools (aws-cli,
# rclone, GNU time) are there, then runs scripts/bench.mjs, which writes docs/benchmarks.md.
#   npm run bench                                        small layout (20 models x 10 versions)
#   BENCH_MODELS=1000 BENCH_VERSIONS=100 npm run bench   the full layout (~102,000 objects, built once)
# Flags after -- go to bench.mjs (npm run bench -- --models 1000 --versions 100).
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

# The tree may hold other modules with type errors mid-work: tsc still emits. The CLI is measured as
# users run it, from the bundle (dist/cli.js); the in-process parts use out/.
npx tsc -p . >/dev/null || echo "bench: tsc reported errors elsewhere; using the emitted out/" >&2
test -f out/src/core/openStorage.js
node scripts/build.mjs

exec node --no-warnings scripts/bench.mjs "$@"
