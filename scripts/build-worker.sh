#!/usr/bin/env bash
# Builds the ExtendDO Cloudflare Worker into build/ (build/index.js + build/index_bg.wasm).
#
# Idempotent: installs only what is missing (the wasm32 target, clang, worker-build,
# wasm-bindgen-cli, node_modules), then runs worker-build with no downloads of its own:
# wasm-bindgen comes from $WASM_BINDGEN_BIN, esbuild from node_modules, wasm-opt is off
# (worker/Cargo.toml). See docs/worker.md.
#
# Environment:
#   EXTENDDO_WORKER_TARGET_DIR  cargo target dir for the wasm build (default: target/worker,
#                               kept apart from the native build so neither waits on the other)
#
# Arguments are passed to worker-build (default: --release), e.g. `scripts/build-worker.sh --dev`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen crate in Cargo.lock
export PATH="$HOME/.cargo/bin:$PATH"

log() { echo "[build-worker] $*" >&2; }
die() { log "error: $*"; exit 1; }

# --- the lock file must agree with the CLI we install ------------------------------------------
lock_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock 2>/dev/null || true)
if [ -n "$lock_version" ] && [ "$lock_version" != "$WASM_BINDGEN_VERSION" ]; then
  die "Cargo.lock has wasm-bindgen $lock_version but this script installs wasm-bindgen-cli $WASM_BINDGEN_VERSION; they must match (pin both)"
fi

# --- toolchain ----------------------------------------------------------------------------------
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# C crates (zstd-sys) need clang for wasm32.
if ! command -v clang >/dev/null 2>&1; then
  log "installing clang/llvm (apt)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y clang llvm
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y clang llvm
  else
    die "clang is missing and we are not root: install clang and llvm"
  fi
fi

if [ "$(worker-build --version 2>/dev/null || true)" != "$WORKER_BUILD_VERSION" ]; then
  log "installing worker-build $WORKER_BUILD_VERSION (takes ~6 min on 2 cores)"
  cargo install --locked --force worker-build --version "$WORKER_BUILD_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes ~4 min on 2 cores)"
  # Not --locked: its lock file pins a webpki-roots newer than some registry mirrors carry.
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ ! -x node_modules/.bin/wrangler ] || [ ! -x node_modules/.bin/esbuild ]; then
  log "installing node_modules (npm ci)"
  npm ci --no-audit --no-fund
fi

# --- the two wrangler configs may differ only in "build" ----------------------------------------
node - <<'JS'
const fs = require("fs");
const read = (f) => JSON.parse(fs.readFileSync(f, "utf8").split("\n").filter((l) => !/^\s*\/\//.test(l)).join("\n"));
const a = read("wrangler.jsonc"), b = read("wrangler.prebuilt.jsonc");
delete a.build; delete b.build;
if (JSON.stringify(a) !== JSON.stringify(b)) {
  console.error("[build-worker] error: wrangler.jsonc and wrangler.prebuilt.jsonc differ outside \"build\"");
  process.exit(1);
}
JS

# --- build --------------------------------------------------------------------------------------
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}" # else worker-build downloads its own
export ESBUILD_BIN="${ESBUILD_BIN:-$ROOT/node_modules/.bin/esbuild}"
export CARGO_TARGET_DIR="${EXTENDDO_WORKER_TARGET_DIR:-$ROOT/target/worker}"
# Size-oriented release profile for the wasm only (profiles live in the workspace root).
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1

start=$(date +%s)
[ "$#" -gt 0 ] || set -- --release
(cd worker && worker-build --out-dir ../build "$@")
[ -f build/index.js ] && [ -f build/index_bg.wasm ] || die "worker-build did not produce build/index.js and build/index_bg.wasm"
log "built in $(( $(date +%s) - start )) s: build/index_bg.wasm $(stat -c %s build/index_bg.wasm) bytes"
