#!/usr/bin/env bash
# Puts the extension into a real VS Code (code-server 4.139.1 = VS Code 1.139.1 server + web workbench,
# see docs in /work/shared/reference/real-vscode.md) and drives it with Debian's chromium:
#   1. ext-host: the mocha suite out/test/editor/index.js runs inside the real extension host (real
#      `vscode` API), against the real S3 server and a filesystem repository. The repo root is loaded
#      as the extension under development (package.json main = dist/extension.js).
#   2. browser: the VSIX (scripts/package.sh) installed into code-server; test/browser/*.test.mjs click
#      through what a user sees, against a demo folder repository (scripts/seedDemo.mjs) and the S3 server.
# Each phase ends with a line "N passed, N failed" (scripts/test.sh adds them up); the script exits
# non-zero when a test failed or a phase could not run (it says why). Servers listen on free ports only.
# Usage: scripts/editor-test.sh [all|ext|host|browser]  (default all; host = ext)
# Env:   S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION (the real S3 server, see CONTRIBUTING.md)
#        KEEP_RUNS (run folders kept in .run/, default 3), EXT_TEST_TIMEOUT_MS (default 600000),
#        SHOTS_DIR (browser screenshots, default test-results/screenshots)
#        MODELREPO_TEST_GREP (ext phase: mocha grep of the suite titles to run)
#        MODELREPO_BROWSER_TESTS (browser phase: the test files to run, default test/browser/*.test.mjs)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WHAT=${1:-all}
[ "$WHAT" = host ] && WHAT=ext # `host` (extension host) is another name for the ext phase
case $WHAT in all | ext | browser) ;; *) echo "usage: $0 [all|ext|host|browser]" >&2; exit 2 ;; esac
T0=$SECONDS
log() { echo "[editor $((SECONDS - T0))s] $*"; }

# shellcheck source=tools.sh
source scripts/tools.sh || { echo "editor tests could not run: installing the editor tools (scripts/tools.sh) failed"; exit 1; }
set +e
export PATH=$NODE24_BIN:$PATH
# shellcheck source=editorCommon.sh
source scripts/editorCommon.sh

mkdir -p .run
# drop old run folders, keeping the newest KEEP_RUNS; never one whose script (pid = name suffix) still runs
for d in $(ls -dt .run/editor-test-* 2>/dev/null | tail -n +"${KEEP_RUNS:-3}"); do
  kill -0 "${d##*-}" 2>/dev/null || rm -rf "$d"
done
new_run_dir "$ROOT/.run/editor-test-$(date +%Y%m%d-%H%M%S)-$$"
log "run folder $R"
start_mem_sampler
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_group "$p"; done
  kill "$MEM_PID" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${S3_ENDPOINT:-}" ]; then
  log "WARNING: S3_ENDPOINT is not set: tests that need the S3 server skip (start it: bash scripts/s3-server.sh start)"
elif ! curl -s -o /dev/null "$S3_ENDPOINT/"; then
  log "WARNING: the S3 server at $S3_ENDPOINT does not answer"
fi
SHOTS=${SHOTS_DIR:-$ROOT/test-results/screenshots}
PROBLEMS=()
RC=0
declare -A DURATION

# --- build: the bundle (dist/extension.js) and the compiled in-host suite (out/test/editor) ---------
mem_phase build; t=$SECONDS
if [ ! -f out/test/editor/index.js ] || [ -n "$(find src test/editor test/helpers -name '*.ts' -newer out/test/editor/index.js 2>/dev/null | head -1)" ]; then
  log "tsc -p . (out/ is missing or older than the sources)"
  npx tsc -p . >"$R/tsc.log" 2>&1 || log "tsc reported $(grep -c 'error TS' "$R/tsc.log") type errors (see $R/tsc.log); running what was emitted"
fi
node scripts/build.mjs >"$R/build.log" 2>&1 || { cat "$R/build.log"; log "the esbuild bundle failed"; }
DURATION[build]=$((SECONDS - t))

# --- phase 1: extension-host tests ------------------------------------------------------------------
run_ext() {
  [ -f dist/extension.js ] || { echo "ext-host phase could not run: dist/extension.js is missing (src/extension.ts not there or not building)"; return 3; }
  [ -f out/test/editor/index.js ] || { echo "ext-host phase could not run: out/test/editor/index.js is missing (test/editor/index.ts not there or not compiling)"; return 3; }
  local port pid ws=$R/ext-ws rc
  port=$(free_port)
  mkdir -p "$ws" "$R/ext-work"
  write_settings "$ws" '[]'
  # code-server's CLI rejects --enable-smoke-test-driver, which the test payload needs: start its VS Code server directly
  setsid node "$VSCODE_SERVER_MAIN" --host 127.0.0.1 --port "$port" --without-connection-token \
    --accept-server-license-terms --enable-smoke-test-driver --disable-telemetry --disable-workspace-trust \
    --server-data-dir "$R/ext-server" --user-data-dir "$R/ext-ud" --extensions-dir "$R/ext-extensions" \
    >"$R/ext-server.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/version" "$pid" 60 || { echo "ext-host phase could not run: the VS Code server on port $port did not start (see $R/ext-server.log)"; return 3; }
  log "VS Code server (extension-host tests) on 127.0.0.1:$port"
  local ext_env
  ext_env=$(MODELREPO_TEST_WORKDIR=$R/ext-work node -e 'const k=["S3_ENDPOINT","AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_REGION","MODELREPO_TEST_WORKDIR","MODELREPO_TEST_GREP"];
    console.log(JSON.stringify(Object.fromEntries(k.filter((x)=>process.env[x]).map((x)=>[x,process.env[x]]))))')
  SERVER_PORT=$port EXT_DIR=$ROOT TESTS_PATH=$ROOT/out/test/editor/index.js WS_DIR=$ws RESULT_FILE=$R/ext-result.json \
    LOG_DIR=$R/ext-logs EXT_ENV=$ext_env TEST_TIMEOUT_MS=${EXT_TEST_TIMEOUT_MS:-600000} \
    node test/editor/runner/extHost.mjs 2>&1 | tee "$R/ext.log"
  rc=${PIPESTATUS[0]}
  stop_group "$pid"
  return "$rc"
}

# --- phase 2: browser tests against code-server with the VSIX installed -------------------------------
run_browser() {
  local vsix=$R/model-repository.vsix ws=$R/browser-ws port pid rc started
  bash scripts/package.sh -o "$vsix" >"$R/package.log" 2>&1 || { tail -20 "$R/package.log"; echo "browser phase could not run: packaging the VSIX failed (see $R/package.log)"; return 3; }
  write_user_settings "$R/cs-ud"
  install_vsix "$vsix" "$R/cs-extensions" "$R/cs-ud" || { echo "browser phase could not run: code-server --install-extension failed"; return 3; }
  log "VSIX $(du -h "$vsix" | cut -f1) installed into $R/cs-extensions"
  node scripts/seedDemo.mjs --fs "$ws/model-repo" || { echo "browser phase could not run: seeding the demo repository failed"; return 3; }
  local conns="{\"id\":\"demo\",\"name\":\"Demo models\",\"kind\":\"fs\",\"path\":\"$ws/model-repo\"}" bucket=""
  # the same demo model in a bucket of the real S3 server; the keys reach the extension host via the environment
  if [ -n "${S3_ENDPOINT:-}" ] && curl -s -o /dev/null "$S3_ENDPOINT/"; then
    bucket=mr-browser-$(date +%s)-$$
    node scripts/seedDemo.mjs --s3 "$bucket" || { echo "browser phase could not run: seeding bucket $bucket failed"; return 3; }
    conns="$conns,{\"id\":\"s3\",\"name\":\"Local S3\",\"kind\":\"s3\",\"endpoint\":\"$S3_ENDPOINT\",\"region\":\"${AWS_REGION:-us-east-1}\",\"pathStyle\":true,\"bucket\":\"$bucket\"}"
  fi
  write_settings "$ws" "[$conns]"
  # With the S3 server: a loopback API server playing a cluster whose MinIO leads to it (for "Add
  # Connection from Cluster..."); the extension host finds it through KUBECONFIG.
  local kubeconfig=""
  if [ -n "$bucket" ]; then
    setsid node test/browser/fakeCluster.mjs "$R/kube" >"$R/fake-cluster.log" 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 1 100); do kubeconfig=$(head -1 "$R/fake-cluster.log" 2>/dev/null); [ -f "$kubeconfig" ] && break; kubeconfig=""; sleep 0.1; done
    [ -n "$kubeconfig" ] || log "the loopback API server did not start (see $R/fake-cluster.log): the cluster browser test is skipped"
  fi
  port=$(free_port)
  started=$(date +%s%3N)
  KUBECONFIG=${kubeconfig:-${KUBECONFIG:-}} setsid "$CODE_SERVER" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
    --disable-workspace-trust --extensions-dir "$R/cs-extensions" --user-data-dir "$R/cs-ud" "$ws" \
    >"$R/code-server.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/healthz" "$pid" 60 || { echo "browser phase could not run: code-server on port $port did not start (see $R/code-server.log)"; return 3; }
  log "code-server on http://127.0.0.1:$port answering after $(($(date +%s%3N) - started)) ms"
  mkdir -p "$SHOTS"
  KUBECONFIG=$kubeconfig CS_URL=http://127.0.0.1:$port CS_STARTED_AT=$started WS_DIR=$ws REPO_DIR=$ws/model-repo S3_BUCKET=$bucket RUN_DIR=$R \
    SHOTS_DIR=$SHOTS \
    node --test --test-isolation=none --test-timeout=240000 --test-reporter=spec ${MODELREPO_BROWSER_TESTS:-test/browser/*.test.mjs} 2>&1 | tee "$R/browser.log"
  rc=${PIPESTATUS[0]}
  stop_group "$pid"
  if [ -n "$bucket" ] && [ -x /usr/bin/aws ]; then /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 rb "s3://$bucket" --force >/dev/null 2>&1 || true; fi
  local p f s
  p=$(grep -E '^ℹ pass [0-9]+' "$R/browser.log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^ℹ fail [0-9]+' "$R/browser.log" | tail -1 | awk '{print $3}')
  s=$(grep -E '^ℹ skipped [0-9]+' "$R/browser.log" | tail -1 | awk '{print $3}')
  if [ -z "$p" ]; then echo "browser phase could not run: node --test printed no summary"; return 3; fi
  echo "$p passed, $f failed${s:+, $s skipped}"
  return "$rc"
}

phase() { # name function
  local name=$1 fn=$2 t=$SECONDS rc
  mem_phase "$name"; log "phase $name"
  "$fn"; rc=$?
  DURATION[$name]=$((SECONDS - t))
  if [ "$rc" = 3 ]; then echo "0 passed, 1 failed (the $name phase could not run)"; PROBLEMS+=("$name could not run"); RC=1
  elif [ "$rc" != 0 ]; then PROBLEMS+=("$name failed"); RC=1; fi
  log "phase $name: ${DURATION[$name]} s, exit $rc"
}
{ [ "$WHAT" = all ] || [ "$WHAT" = ext ]; } && phase ext-host run_ext
{ [ "$WHAT" = all ] || [ "$WHAT" = browser ]; } && phase browser run_browser

mem_phase done
for k in build ext-host browser; do [ -n "${DURATION[$k]:-}" ] && log "duration $k: ${DURATION[$k]} s"; done
mem_report
[ ${#PROBLEMS[@]} -eq 0 ] || log "problems: ${PROBLEMS[*]}"
log "logs in $R"
exit "$RC"
