# Sourced by scripts/editor-test.sh and scripts/start.sh: run folders, free ports, waiting for a
# server, the demo workspace, and a memory sampler. Everything a run writes (VS Code's user data,
# code-server's config, chromium's profile) goes under one run folder in .run/, never under ~.

# new_run_dir <path>: creates it and points XDG_* (code-server, VS Code, chromium) into it
new_run_dir() {
  R=$1
  mkdir -p "$R"
  export XDG_CONFIG_HOME=$R/xdg-config XDG_DATA_HOME=$R/xdg-data XDG_CACHE_HOME=$R/xdg-cache
  export XDG_RUNTIME_DIR=$R/xdg-runtime
  mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
}

# port_is_free <port>: true when nothing listens on 127.0.0.1:<port> (tries to bind it)
port_is_free() {
  node -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],"127.0.0.1",()=>s.close(()=>process.exit(0)))' "$1"
}

# free_port [preferred]: the preferred port when free, else the next free one after it, else one the kernel picks
free_port() {
  local p=${1:-}
  if [ -n "$p" ]; then
    for ((i = 0; i < 50; i++)); do port_is_free $((p + i)) && { echo $((p + i)); return; }; done
  fi
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_http <url> <pid> [seconds]: waits until <url> answers 2xx while <pid> (our server) is still alive
wait_http() {
  local url=$1 pid=$2 secs=${3:-60}
  for ((i = 0; i < secs * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 2
    curl -sf -o /dev/null "$url" && return 0
    sleep 0.2
  done
  return 1
}

# stop_group <pid>: ends a process group we started with setsid, then waits a little for it
stop_group() {
  local pid=$1
  kill -- "-$pid" 2>/dev/null || return 0
  for ((i = 0; i < 25; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 -- "-$pid" 2>/dev/null || true
}

# Quiet editor settings: no welcome page, no tips, no Chat panel on the right.
QUIET_SETTINGS='{"workbench.startupEditor": "none", "security.workspace.trust.enabled": false,
  "extensions.ignoreRecommendations": true, "telemetry.telemetryLevel": "off", "workbench.tips.enabled": false,
  "chat.disableAIFeatures": true, "chat.commandCenter.enabled": false, "git.openRepositoryInParentFolders": "never",
  "workbench.secondarySideBar.defaultVisibility": "hidden"}'

# write_settings <workspace> <connections JSON array>: the workspace's .vscode/settings.json
write_settings() {
  mkdir -p "$1/.vscode"
  node -e 'const fs=require("fs");const [f,c,q]=process.argv.slice(1);
    fs.writeFileSync(f, JSON.stringify({"modelRepository.connections": JSON.parse(c), ...JSON.parse(q)}, null, 2) + "\n")' \
    "$1/.vscode/settings.json" "$2" "$QUIET_SETTINGS"
}

# write_user_settings <user data dir>: the same quiet settings as user settings (kept when present)
write_user_settings() {
  mkdir -p "$1/User"
  [ -f "$1/User/settings.json" ] || node -e 'console.log(JSON.stringify(JSON.parse(process.argv[1]), null, 2))' "$QUIET_SETTINGS" >"$1/User/settings.json"
}

# install_vsix <vsix> <extensions dir> <user data dir>
install_vsix() {
  "$CODE_SERVER" --extensions-dir "$2" --user-data-dir "$3" --force --install-extension "$1" >"$R/install-extension.log" 2>&1 \
    || { cat "$R/install-extension.log" >&2; return 1; }
}

# Memory: peak PSS of this script's whole process tree (servers, extension host, chromium), per phase.
# PSS splits shared pages between processes, so chromium's many processes are not counted twice.
mem_tree_mib() {
  local root=$1 kb=0 v p
  for p in $(ps -e -o pid=,ppid= | awk -v r="$root" '{par[$1]=$2} END {for (i in par) {x=i; while (x > 1) {if (x == r) {print i; break}; x=par[x]}}}'); do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
    kb=$((kb + ${v:-0}))
  done
  echo $((kb / 1024))
}
mem_phase() { echo "$1" >"$R/phase"; }
start_mem_sampler() {
  local root=$$
  mem_phase setup
  (while :; do
    ph=$(cat "$R/phase" 2>/dev/null || echo none); m=$(mem_tree_mib "$root"); p=$(cat "$R/mem.$ph" 2>/dev/null || echo 0)
    ((m > p)) && echo "$m" >"$R/mem.$ph"
    sleep 1
  done) &
  MEM_PID=$!
}
mem_report() {
  local f
  for f in "$R"/mem.*; do [ -f "$f" ] && [ "${f##*/mem.}" != setup ] && echo "peak memory (PSS of our processes) in ${f##*/mem.}: $(cat "$f") MiB"; done
}
