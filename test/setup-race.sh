#!/usr/bin/env bash
# Two scripts/setup started at the same moment on an empty toolchain cache must
# both succeed (scripts/env.sh fills the cache under a lock, by renames). Uses a
# temporary XDG_CACHE_HOME, so it downloads pnpm and, where the system Node is
# older than 22, Node (~30 MB) from the npm registry. Run it after changing
# scripts/env.sh:
#
#   test/setup-race.sh
#
# Both runs also do `pnpm install` in this checkout, which is up to date by then
# (run scripts/setup once first): the race under test is the cache's.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pocnet-setup-race.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export XDG_CACHE_HOME="$WORK/cache"

pids=()
for run in 1 2; do
  "$ROOT/scripts/setup" >"$WORK/setup-$run.log" 2>&1 &
  pids+=("$!")
done
failed=0
for run in 1 2; do
  if wait "${pids[$((run - 1))]}"; then
    echo "setup $run: ok"
  else
    echo "setup $run: FAILED; its output:"
    sed 's/^/  | /' "$WORK/setup-$run.log"
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
grep -h -E 'node:|pnpm:' "$WORK"/setup-*.log | sed 's/\x1b\[[0-9;]*m//g; s/^/  /'

# bin/ alone is a whole toolchain: node (a symlink) beside the pnpm shim.
BIN="$XDG_CACHE_HOME/pocnet/bin"
[ -L "$BIN/node" ] || { echo "no node symlink in $BIN" >&2; exit 1; }
node_version=$(PATH="$BIN:/usr/bin:/bin" node --version)
pnpm_node=$(cd "$ROOT" && PATH="$BIN:/usr/bin:/bin" pnpm exec node --version)
[ "$node_version" = "$pnpm_node" ] || { echo "pnpm runs node $pnpm_node, bin/node is $node_version" >&2; exit 1; }
[ "${node_version#v}" != "$node_version" ] && [ "$(echo "${node_version#v}" | cut -d. -f1)" -ge 22 ] ||
  { echo "bin/node is $node_version, older than 22" >&2; exit 1; }
leftovers=$(find "$XDG_CACHE_HOME/pocnet" -maxdepth 2 \( -name '.fetch.*' -o -name '.pnpm.*' -o -name '.node.*' \))
[ -z "$leftovers" ] || { echo "temporary files left in the cache: $leftovers" >&2; exit 1; }
echo "ok: both runs succeeded; with only $BIN on PATH, node and pnpm's node are $node_version"
