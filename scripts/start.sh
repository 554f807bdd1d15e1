#!/usr/bin/env bash
# `npm start`: the product for a newcomer on a fresh machine. Installs what is missing (npm ci, then
# Node 24 + code-server + chromium via scripts/tools.sh), builds and packages the extension as a VSIX,
# installs it into a real VS Code (code-server, in .run/demo), creates a workspace whose one connection
# is a local folder repository seeded with a small model generated on the spot (scripts/seedDemo.mjs:
# llama-3-8b, two versions of a tiny GGUF file, tags v1, v2, latest -> v2), starts code-server on
# 127.0.0.1 and prints the URL to open. Stays in the foreground until Ctrl-C.
#   npm start                      folder repository in .run/demo-workspace/model-repo
#   npm start -- --s3              the same in bucket "modelrepo-demo" of the local S3 server (Ceph RGW,
#                                  started with scripts/s3-server.sh when S3_ENDPOINT does not answer)
#   npm start -- --port 9000       another port (default 8080; the next free one when it is busy)
# With --s3 the keys reach the extension host through the environment (AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY), which the extension uses when SecretStorage holds none for the connection.
# In normal use "Model Repository: Add S3 / MinIO Connection..." asks for the keys and keeps them in VS Code's
# SecretStorage, never in settings.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MODE=fs PORT=8080
while [ $# -gt 0 ]; do
  case $1 in
    --s3) MODE=s3; shift ;;
    --port) PORT=$2; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
T0=$SECONDS
log() { echo "[start $((SECONDS - T0))s] $*"; }

if [ ! -d node_modules ]; then log "npm ci"; npm ci --no-audit --no-fund --loglevel=error; fi
log "editor tools (Node 24, code-server, chromium): scripts/tools.sh"
# shellcheck source=tools.sh
source scripts/tools.sh
export PATH=$NODE24_BIN:$PATH
# shellcheck source=editorCommon.sh
source scripts/editorCommon.sh
# VS Code's user data and extensions for the demo (one folder per mode, so both can run at once)
new_run_dir "$ROOT/.run/demo$([ "$MODE" = s3 ] && echo -s3)"

log "build + VSIX"
bash scripts/package.sh -o "$R/model-repository.vsix" >"$R/package.log" 2>&1 || { cat "$R/package.log"; exit 1; }
write_user_settings "$R/user-data"
install_vsix "$R/model-repository.vsix" "$R/extensions" "$R/user-data"
log "installed $(basename "$R/model-repository.vsix") into code-server ($R/extensions)"

STARTED_S3=""
cleanup() { [ -z "$STARTED_S3" ] || { log "stopping the S3 server this script started"; bash scripts/s3-server.sh stop || true; }; }
trap cleanup EXIT
if [ "$MODE" = fs ]; then
  WS=$ROOT/.run/demo-workspace
  node scripts/seedDemo.mjs --fs "$WS/model-repo"
  CONN="[{\"id\":\"demo\",\"name\":\"Demo models\",\"kind\":\"fs\",\"path\":\"$WS/model-repo\"}]"
else
  if [ -z "${S3_ENDPOINT:-}" ] || ! curl -s -o /dev/null "$S3_ENDPOINT/"; then
    log "starting the local S3 server (scripts/s3-server.sh)"
    eval "$(bash scripts/s3-server.sh start)"
    STARTED_S3=1
  fi
  export AWS_REGION=${AWS_REGION:-us-east-1}
  WS=$ROOT/.run/demo-workspace-s3
  node scripts/seedDemo.mjs --s3 modelrepo-demo
  CONN="[{\"id\":\"demo-s3\",\"name\":\"Local S3 (Ceph RGW)\",\"kind\":\"s3\",\"endpoint\":\"$S3_ENDPOINT\",\"region\":\"$AWS_REGION\",\"pathStyle\":true,\"bucket\":\"modelrepo-demo\"}]"
fi
# keep settings the user changed in an earlier run
[ -f "$WS/.vscode/settings.json" ] || write_settings "$WS" "$CONN"

P=$(free_port "$PORT")
[ "$P" = "$PORT" ] || log "port $PORT is busy: using $P"
"$CODE_SERVER" --bind-addr "127.0.0.1:$P" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --extensions-dir "$R/extensions" --user-data-dir "$R/user-data" "$WS" >"$R/code-server.log" 2>&1 &
CS_PID=$!
trap 'kill "$CS_PID" 2>/dev/null; wait "$CS_PID" 2>/dev/null; cleanup' EXIT
trap 'exit 130' INT TERM
wait_http "http://127.0.0.1:$P/healthz" "$CS_PID" 60 || { cat "$R/code-server.log"; echo "code-server did not start" >&2; exit 1; }
URL="http://127.0.0.1:$P/?folder=$WS"
cat <<EOF

  Model Repository is running in VS Code (code-server $(node -p "require('$TOOLS/cs/node_modules/code-server/package.json').version")).
  Open:  $URL
  Then click the "Model Repository" icon in the activity bar (left): $( [ "$MODE" = fs ] && echo "Demo models" || echo "Local S3 (Ceph RGW)" ) > llama-3-8b.
  Log:   $R/code-server.log          Stop: Ctrl-C

EOF
wait "$CS_PID"
