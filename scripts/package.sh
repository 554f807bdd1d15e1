#!/usr/bin/env bash
# `npm run package`: builds the bundle (dist/extension.js) and packages the VSIX with @vscode/vsce,
# which needs Node >= 22 (taken from scripts/tools.sh). The VSIX installs into desktop VS Code
# (Extensions: Install from VSIX...) and into code-server (--install-extension).
#   scripts/package.sh [-o out.vsix]      default: model-repository-<version>.vsix in the repo root
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=""
while [ $# -gt 0 ]; do
  case $1 in
    -o|--out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [-o out.vsix]" >&2; exit 2 ;;
  esac
done
# shellcheck source=tools.sh
source "$ROOT/scripts/tools.sh"
[ -d node_modules ] || npm ci --no-audit --no-fund
node scripts/build.mjs
[ -f dist/extension.js ] || { echo "package: dist/extension.js was not built (is src/extension.ts there?)" >&2; exit 1; }
VERSION=$(node -p 'require("./package.json").version')
OUT=${OUT:-$ROOT/model-repository-$VERSION.vsix}
ARGS=(package --no-dependencies --allow-missing-repository --no-rewrite-relative-links -o "$OUT")
[ -f LICENSE ] || [ -f LICENSE.md ] || ARGS+=(--skip-license)
# vsce is a Node >= 22 tool: run it with the Node 24 from .tools, not the Node 20 on PATH
PATH=$NODE24_BIN:$PATH "$TOOLS_NODE_MODULES/.bin/vsce" "${ARGS[@]}" >&2
echo "$OUT"
