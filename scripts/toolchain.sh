#!/usr/bin/env bash
# Source this file: it pins the toolchain the project is built and tested with
# (Node 24 and the pnpm named by package.json's packageManager), installing them
# from the npm registry into .toolchain/ on first use, and puts them first on PATH.
# The machine's own node (often 20, end of life) is only used to bootstrap.
# No `set -e` here: this file is sourced and must not change the caller's shell options.
_bp_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_bp_node_version="24.21.0"
_bp_pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$_bp_root/package.json")"
_bp_dir="$_bp_root/.toolchain"
_bp_bin="$_bp_dir/node_modules/.bin"
if [ ! -x "$_bp_bin/node" ] || [ "$("$_bp_bin/node" --version 2>/dev/null)" != "v$_bp_node_version" ] \
  || [ "$("$_bp_bin/pnpm" --version 2>/dev/null)" != "$_bp_pnpm_version" ]; then
  command -v npm >/dev/null || { echo "toolchain: npm is needed once to bootstrap Node $_bp_node_version" >&2; return 1 2>/dev/null || exit 1; }
  echo "toolchain: installing node@$_bp_node_version and pnpm@$_bp_pnpm_version into .toolchain/" >&2
  mkdir -p "$_bp_dir"
  echo '{"private":true,"description":"pinned toolchain, see scripts/toolchain.sh"}' > "$_bp_dir/package.json"
  (cd "$_bp_dir" && npm install --no-audit --no-fund --loglevel=error \
    "node@$_bp_node_version" "pnpm@$_bp_pnpm_version" >&2) || { echo "toolchain: install failed" >&2; return 1 2>/dev/null || exit 1; }
fi
export PATH="$_bp_bin:$PATH"
export npm_config_manage_package_manager_versions=false
