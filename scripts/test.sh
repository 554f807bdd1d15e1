#!/usr/bin/env bash
# Runs every test of the project on this machine, installing what is missing:
#   unit (plain Node) -> integration (real Ceph RGW S3 server + real filesystem) -> editor
#   (extension-host tests in code-server's real VS Code, then browser tests in Debian's chromium).
# Usage: scripts/test.sh [all|unit|integration|editor]   (default all)
# Ends with one line "N passed, N failed[, N skipped]" and exits non-zero when anything failed or could not run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WHAT=${1:-all}
LOGDIR=$ROOT/test-results; mkdir -p "$LOGDIR"
T0=$SECONDS
log() { echo "[test $((SECONDS - T0))s] $*"; }
PASS=0 FAIL=0 SKIP=0 BROKEN=()

# 1. dependencies and tools (idempotent)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"; npm ci --no-audit --no-fund --loglevel=error || { echo "npm ci failed"; exit 1; }
fi
# shellcheck source=scripts/tools.sh
source scripts/tools.sh || { echo "installing the editor tools failed"; exit 1; }
cd "$ROOT"
export PATH=$NODE24_BIN:$PATH   # one Node (24) for build and tests; the core itself also runs on Node 20
log "node $(node --version)"

# 2. type check, lint, build
log "tsc"; rm -rf out
npx tsc -p . || BROKEN+=("typecheck")
log "eslint"; npx eslint src test || BROKEN+=("lint")
log "build"; node scripts/build.mjs || BROKEN+=("build")

# 3. the real S3 server (Ceph RGW on 127.0.0.1), unless one is given
if [ "$WHAT" != unit ]; then
  if [ -z "${S3_ENDPOINT:-}" ] || ! curl -sf -o /dev/null "$S3_ENDPOINT/"; then
    log "starting Ceph RGW"
    # A failed start is never the reuse of running daemons: whatever it got going is this run's to stop.
    if exports=$(bash scripts/s3-server.sh start); then eval "$exports"
    else echo "the S3 server could not start"; BROKEN+=("s3-server"); S3_SERVER_STARTED=1; fi
    # Stop at the end what this run started; a server that was running already (started by the user
    # with scripts/s3-server.sh, only S3_ENDPOINT not set here) keeps running.
    if [ "${S3_SERVER_STARTED:-0}" = 1 ]; then
      trap 'log "stopping the Ceph RGW this run started"; bash scripts/s3-server.sh stop >/dev/null 2>&1' EXIT
    else
      log "using the Ceph RGW that was running already (left running)"
    fi
  fi
  log "S3 server: ${S3_ENDPOINT:-none}"
fi

# counts from node's test runner (spec reporter: "ℹ pass N")
node_tests() { # name files...
  local name=$1; shift
  local out=$LOGDIR/$name.log
  log "$name: $# files"
  node --test --test-reporter=spec --test-concurrency=1 "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local p f s
  p=$(grep -E '^ℹ pass [0-9]+' "$out" | tail -1 | awk '{print $3}')
  f=$(grep -E '^ℹ fail [0-9]+' "$out" | tail -1 | awk '{print $3}')
  s=$(grep -E '^ℹ skipped [0-9]+' "$out" | tail -1 | awk '{print $3}')
  PASS=$((PASS + ${p:-0})); FAIL=$((FAIL + ${f:-0})); SKIP=$((SKIP + ${s:-0}))
  if [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; then BROKEN+=("$name (exit $rc)"); fi
  log "$name: pass ${p:-0}, fail ${f:-0}, skipped ${s:-0}"
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
  node_tests unit out/test/unit/*.test.js
fi
if [ "$WHAT" = all ] || [ "$WHAT" = integration ]; then
  node_tests integration out/test/integration/*.test.js
fi
if [ "$WHAT" = all ] || [ "$WHAT" = editor ]; then
  if [ -f scripts/editor-test.sh ]; then
    out=$LOGDIR/editor.log
    bash scripts/editor-test.sh 2>&1 | tee "$out"; rc=${PIPESTATUS[0]}
    while read -r p f; do PASS=$((PASS + p)); FAIL=$((FAIL + f)); done \
      < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
    [ "$rc" = 0 ] || BROKEN+=("editor (exit $rc)")
  else
    BROKEN+=("editor (scripts/editor-test.sh missing)")
  fi
fi

log "done in $((SECONDS - T0)) s"
[ ${#BROKEN[@]} -eq 0 ] || { echo "could not run or failed outside a test: ${BROKEN[*]}"; }
[ "$SKIP" = 0 ] || echo "skipped tests are not counted as passed: $SKIP (see the logs in test-results/)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ] && [ ${#BROKEN[@]} -eq 0 ] && [ "$PASS" -gt 0 ]
