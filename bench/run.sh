#!/usr/bin/env bash
# bench/run.sh — compare ExtendDO with Dynoxide, dynalite and moto on this machine, in one run.
#
# Builds `extenddo` and `extenddo-bench` (release), installs pinned Dynoxide (crate
# dynoxide-rs, `cargo install` into bench/.tools, a few minutes the first time), dynalite
# (npm, into bench/node_modules) and moto (pip, into bench/.venv, only if no `moto_server`
# is on PATH), then for each server in turn: starts it on a free 127.0.0.1 port with a fresh
# temporary data directory, runs every workload with the same parameters, and stops it.
# Only the processes this script started are stopped (by PID / their own process group).
# Results: raw JSON and logs in bench/results/<stamp>/, and a markdown section written
# into docs/benchmarks.md between the `results:start` / `results:end` markers.
#
# Environment (defaults in brackets):
#   CONNECTIONS [16]  DURATION [20] s  WARMUP [3] s  ITEMS [10000]  SORT_KEYS [50]
#   LIMIT [10]  THREADS [1] (client runtime threads)
#   WORKLOADS ["put put-new get query mix put-gsi2 put-gsi5 query-gsi transact transact2"]
#   SERVERS ["extenddo dynoxide dynalite moto"]
#                     (add `http-floor` for bench/src/floor.rs: a minimal hyper server answering
#                     {} to every request — the HTTP stack's and load generator's own cost;
#                     add `extenddo-auth` for `extenddo serve --auth`: a key provisioned with
#                     `extenddo admin` and every request really signed with it — the cost of
#                     SigV4 verification and policy evaluation)
#                     (add `floor` for GET / — the HTTP stack's own floor; add server `worker` for
#                     the Cloudflare Worker under `wrangler dev` (real workerd, DO SQLite),
#                     built by scripts/build-worker.sh unless build/ already holds it)
#   QUICK=1           a smoke run: DURATION=3 WARMUP=1 ITEMS=2000; does not touch docs/
#   UPDATE_DOCS=0|1   write docs/benchmarks.md [1, or 0 when QUICK=1]
#   REQUIRE_EXTENDDO=1  fail instead of skipping extenddo when it cannot be built/started
#   MOTO_SERVER=path  a moto_server to use instead of looking one up
#   DYNOXIDE_BIN=path a dynoxide to use instead of bench/.tools/bin/dynoxide
#   EXTENDDO_BIN=path an already built `extenddo` to use (then extenddo-cli is not built)
#   EXTENDDO_ARGS     extra `extenddo serve` arguments, e.g. "--durability normal" [none]
#   BASELINE_BIN=path another `extenddo` build (e.g. of the previous commit) run as server
#                     `baseline` with the same arguments, for a same-run regression check
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=$ROOT/bench
DOC=$ROOT/docs/benchmarks.md
MOTO_VERSION_PIN=5.2.5
DYNOXIDE_VERSION_PIN=3.2.0

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  DURATION=${DURATION:-3}; WARMUP=${WARMUP:-1}; ITEMS=${ITEMS:-2000}
  UPDATE_DOCS=${UPDATE_DOCS:-0}
fi
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
ITEMS=${ITEMS:-10000}
SORT_KEYS=${SORT_KEYS:-50}
LIMIT=${LIMIT:-10}
THREADS=${THREADS:-1}
WORKLOADS=${WORKLOADS:-"put put-new get query mix put-gsi2 put-gsi5 query-gsi transact transact2"}
SERVERS=${SERVERS:-"extenddo dynoxide dynalite moto"}
UPDATE_DOCS=${UPDATE_DOCS:-1}
REQUIRE_EXTENDDO=${REQUIRE_EXTENDDO:-0}
EXTENDDO_ARGS=${EXTENDDO_ARGS:-}

log() { printf '[run.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
DATE_HUMAN=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
OUT=$BENCH_DIR/results/$STAMP
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/extenddo-bench.XXXXXX")

# --- processes we started: stopped on any exit ------------------------------------------
STARTED_PIDS=()
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  # Each server runs in its own process group (setsid), led by $pid.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME LOGFILE CMD...: starts CMD in its own session; sets SERVER_PID.
start() {
  local name=$1 logf=$2; shift 2
  setsid "$@" >"$logf" 2>&1 </dev/null &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  log "started $name (pid $SERVER_PID): $*"
}

# wait_ready PID PORT: until ListTables answers 200 (60 s), or the process died.
wait_ready() {
  local pid=$1 port=$2 code
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ ${3:-} == healthz ]]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/healthz" || true)
      [[ $code == 200 ]] && return 0
      sleep 0.2
      continue
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST "http://127.0.0.1:$port/" \
      -H 'Content-Type: application/x-amz-json-1.0' \
      -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
      -H 'X-Amz-Date: 20260101T000000Z' \
      -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000' \
      -d '{}' || true)
    [[ $code == 200 ]] && return 0
    sleep 0.2
  done
  return 1
}

command -v curl >/dev/null || die "curl is needed"
command -v python3 >/dev/null || die "python3 is needed"

# --- build ------------------------------------------------------------------------------
cd "$ROOT"
EXTENDDO_STATUS=""
if [[ " $SERVERS " == *" extenddo "* && -z ${EXTENDDO_BIN:-} ]]; then
  log "building extenddo and extenddo-bench (release)"
  if cargo build --release -p extenddo-cli -p extenddo-bench 2>"$OUT/build.log"; then
    :
  else
    tail -20 "$OUT/build.log" >&2
    [[ $REQUIRE_EXTENDDO == 1 ]] && die "cargo build --release -p extenddo-cli failed"
    EXTENDDO_STATUS="not built: cargo build --release -p extenddo-cli failed"
    log "warning: extenddo $EXTENDDO_STATUS; benchmarking the others only"
    cargo build --release -p extenddo-bench 2>>"$OUT/build.log" || die "building extenddo-bench failed (see $OUT/build.log)"
  fi
else
  cargo build --release -p extenddo-bench 2>"$OUT/build.log" || die "building extenddo-bench failed (see $OUT/build.log)"
fi
BENCH=$ROOT/target/release/extenddo-bench
EXTENDDO=${EXTENDDO_BIN:-$ROOT/target/release/extenddo}

# --- comparison servers -----------------------------------------------------------------
DYNALITE_VERSION="" MOTO_VERSION="" DYNOXIDE_VERSION=""
if [[ " $SERVERS " == *" dynoxide "* ]]; then
  if [[ -z ${DYNOXIDE_BIN:-} ]]; then
    DYNOXIDE_BIN=$BENCH_DIR/.tools/bin/dynoxide
    # (the binary reports its own version, not the crate's: cargo's install record says which)
    if [[ ! -x $DYNOXIDE_BIN ]] || ! grep -qs "dynoxide-rs $DYNOXIDE_VERSION_PIN " "$BENCH_DIR/.tools/.crates.toml"; then
      log "installing pinned Dynoxide $DYNOXIDE_VERSION_PIN (cargo install dynoxide-rs into bench/.tools)"
      cargo install --root "$BENCH_DIR/.tools" dynoxide-rs --version "$DYNOXIDE_VERSION_PIN" --locked \
        --no-default-features --features http-server,cli,native-sqlite >"$OUT/dynoxide-install.log" 2>&1 \
        || die "cargo install dynoxide-rs failed (see $OUT/dynoxide-install.log)"
    fi
  fi
  DYNOXIDE_VERSION="$("$DYNOXIDE_BIN" --version 2>/dev/null | awk '{print $NF}') (crate dynoxide-rs $DYNOXIDE_VERSION_PIN)"
fi
if [[ " $SERVERS " == *" dynalite "* ]]; then
  if [[ ! -x $BENCH_DIR/node_modules/.bin/dynalite ]]; then
    log "installing pinned dynalite (npm ci, bench/package-lock.json)"
    npm ci --prefix "$BENCH_DIR" --no-audit --no-fund >"$OUT/npm.log" 2>&1 || die "npm ci failed (see $OUT/npm.log)"
  fi
  DYNALITE_VERSION=$(node -p "require('$BENCH_DIR/node_modules/dynalite/package.json').version")
fi
if [[ " $SERVERS " == *" moto "* ]]; then
  if [[ -z ${MOTO_SERVER:-} ]]; then
    if [[ -x $BENCH_DIR/.venv/bin/moto_server ]]; then
      MOTO_SERVER=$BENCH_DIR/.venv/bin/moto_server
    elif command -v moto_server >/dev/null; then
      MOTO_SERVER=$(command -v moto_server)
    else
      log "installing moto[server]==$MOTO_VERSION_PIN into bench/.venv"
      python3 -m venv "$BENCH_DIR/.venv" || die "python3 -m venv failed"
      "$BENCH_DIR/.venv/bin/pip" install --quiet "moto[server]==$MOTO_VERSION_PIN" >"$OUT/pip.log" 2>&1 \
        || die "pip install moto failed (see $OUT/pip.log)"
      MOTO_SERVER=$BENCH_DIR/.venv/bin/moto_server
    fi
  fi
  # The interpreter moto_server runs under (through a pyenv shim if there is one).
  moto_script=$MOTO_SERVER
  if command -v pyenv >/dev/null && [[ $MOTO_SERVER == */shims/* ]]; then
    moto_script=$(pyenv which moto_server)
  fi
  moto_python=$(head -1 "$moto_script" | sed -n 's/^#! *//p')
  MOTO_VERSION=$($moto_python -c 'import moto; print(moto.__version__)' 2>/dev/null || echo unknown)
fi

if [[ " $SERVERS " == *" worker "* ]]; then
  if [[ ! -f $ROOT/build/index.js || ! -f $ROOT/build/index_bg.wasm || ${BUILD_WORKER:-0} == 1 ]]; then
    log "building the Worker (scripts/build-worker.sh)"
    "$ROOT/scripts/build-worker.sh" >"$OUT/worker-build.log" 2>&1 || die "building the Worker failed (see $OUT/worker-build.log)"
  fi
  WRANGLER_VERSION=$(node -p "require('$ROOT/node_modules/wrangler/package.json').version" 2>/dev/null || echo unknown)
fi

# --- runs -------------------------------------------------------------------------------
BENCH_ARGS=(--connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP"
  --items "$ITEMS" --sort-keys "$SORT_KEYS" --limit "$LIMIT" --threads "$THREADS")

SERVER_ARGS=()
run_workloads() { # SERVER PORT
  local server=$1 port=$2 w
  for w in $WORKLOADS; do
    log "$server: $w"
    local setup=--setup
    # The floor has no tables to set up: every request gets `{}`.
    [[ $server == http-floor ]] && setup=
    "$BENCH" --endpoint "http://127.0.0.1:$port" --workload "$w" $setup --json "${BENCH_ARGS[@]}" ${SERVER_ARGS[@]+"${SERVER_ARGS[@]}"} \
      >"$OUT/$server-$w.json" 2>"$OUT/$server-$w.err" \
      || { log "$server $w failed:"; tail -5 "$OUT/$server-$w.err" >&2; rm -f "$OUT/$server-$w.json"; }
    if [[ -s $OUT/$server-$w.json ]]; then python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); l = r["latency_ms"]
f = lambda v: "-" if v is None else "%.2f" % v
print("  %-8s %10.1f ops/s  p50 %s ms  p99 %s ms  errors %d" % (r["workload"], r["ops_per_sec"], f(l["p50"]), f(l["p99"]), r["errors"]))
' "$OUT/$server-$w.json" >&2; fi
  done
}

for server in $SERVERS; do
  port=$(free_port)
  data=$TMP/$server-data
  mkdir -p "$data"
  SERVER_ARGS=()
  case $server in
    http-floor)
      start http-floor "$OUT/http-floor.log" "$ROOT/target/release/extenddo-floor" --listen "127.0.0.1:$port"
      ;;
    extenddo-auth)
      [[ -x $EXTENDDO ]] || continue
      # An account, a user allowed everything, a key — in the data dir before the start.
      "$EXTENDDO" admin --data-dir "$data" create-account --account-id 000000000000 >/dev/null
      "$EXTENDDO" admin --data-dir "$data" create-user 000000000000 bench >/dev/null
      echo '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}' \
        | "$EXTENDDO" admin --data-dir "$data" put-policy 000000000000 bench all - >/dev/null
      key_json=$("$EXTENDDO" admin --data-dir "$data" create-access-key 000000000000 bench)
      SERVER_ARGS=(--access-key "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKeyId"])' <<<"$key_json")"
        --secret-key "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secretAccessKey"])' <<<"$key_json")")
      start extenddo-auth "$OUT/extenddo-auth.log" "$EXTENDDO" serve --auth --listen "127.0.0.1:$port" --data-dir "$data" $EXTENDDO_ARGS
      ;;
    extenddo)
      if [[ -n $EXTENDDO_STATUS ]]; then continue; fi
      [[ -x $EXTENDDO ]] || { EXTENDDO_STATUS="no executable $EXTENDDO"; continue; }
      start extenddo "$OUT/extenddo.log" "$EXTENDDO" serve --listen "127.0.0.1:$port" --data-dir "$data" $EXTENDDO_ARGS
      ;;
    dynalite)
      start dynalite "$OUT/dynalite.log" "$BENCH_DIR/node_modules/.bin/dynalite" \
        --host 127.0.0.1 --port "$port" --path "$data"
      ;;
    dynoxide)
      start dynoxide "$OUT/dynoxide.log" "$DYNOXIDE_BIN" --host 127.0.0.1 --port "$port" \
        --db-path "$data/dynoxide.db"
      ;;
    moto)
      start moto "$OUT/moto.log" "$MOTO_SERVER" -H 127.0.0.1 -p "$port"
      ;;
    baseline)
      [[ -x ${BASELINE_BIN:-} ]] || die "server baseline needs BASELINE_BIN (an extenddo binary)"
      start baseline "$OUT/baseline.log" "$BASELINE_BIN" serve --listen "127.0.0.1:$port" --data-dir "$data" $EXTENDDO_ARGS
      ;;
    worker)
      start worker "$OUT/worker.log" env WRANGLER_SEND_METRICS=false CI=true \
        bash "$ROOT/scripts/worker-dev.sh" --port "$port" --persist-to "$data" \
        -- --var EXTENDDO_ALLOW_UNAUTHENTICATED:true
      ;;
    *) die "unknown server $server" ;;
  esac
  ready_check=dynamodb
  [[ $server == extenddo-auth ]] && ready_check=healthz
  if ! wait_ready "$SERVER_PID" "$port" "$ready_check"; then
    tail -20 "$OUT/$server.log" >&2 || true
    stop_pid "$SERVER_PID"
    if [[ $server == extenddo && $REQUIRE_EXTENDDO != 1 ]]; then
      EXTENDDO_STATUS="built, but \`extenddo serve\` did not answer ListTables (see the run's extenddo.log)"
      log "warning: extenddo $EXTENDDO_STATUS; skipping it"
      continue
    fi
    die "$server did not become ready on 127.0.0.1:$port"
  fi
  run_workloads "$server" "$port"
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "warning: $server exited during the run (see $OUT/$server.log)"
  fi
  stop_pid "$SERVER_PID"
done

# --- report -----------------------------------------------------------------------------
cmd="bench/run.sh"
[[ $QUICK == 1 ]] && cmd="QUICK=1 $cmd"
env_desc="CONNECTIONS=$CONNECTIONS DURATION=$DURATION WARMUP=$WARMUP ITEMS=$ITEMS SORT_KEYS=$SORT_KEYS LIMIT=$LIMIT THREADS=$THREADS"
[[ -n $EXTENDDO_ARGS ]] && env_desc="EXTENDDO_ARGS=\"$EXTENDDO_ARGS\" $env_desc"
export EXTENDDO_SERVE="${EXTENDDO_BIN:-target/release/extenddo} serve --listen 127.0.0.1:PORT --data-dir TMPDIR${EXTENDDO_ARGS:+ $EXTENDDO_ARGS}"
export LOAD_START LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
export WRANGLER_VERSION=${WRANGLER_VERSION:-}
export BASELINE_DESC=""
if [[ " $SERVERS " == *" baseline "* ]]; then
  BASELINE_DESC="baseline: \`${BASELINE_BIN:-}\` ($("${BASELINE_BIN:-false}" --version 2>/dev/null || echo '?'))"
fi
export OUT STAMP DATE_HUMAN SERVERS WORKLOADS EXTENDDO_STATUS DYNALITE_VERSION MOTO_VERSION DYNOXIDE_VERSION env_desc cmd
export BENCH_CMD="target/release/extenddo-bench --endpoint http://127.0.0.1:PORT --workload W --setup --json ${BENCH_ARGS[*]}"
export GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "uncommitted")
export GIT_DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1 | grep -q . && echo " (work tree has uncommitted changes)" || true)
export NPROC=$(nproc)
export CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export MEM=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
export KERNEL=$(uname -sr)
export NODE_VERSION=$(node --version 2>/dev/null || echo -)
export RUSTC_VERSION=$(rustc --version 2>/dev/null || echo -)

python3 - "$OUT/meta.json" <<'PY'
import json, os, sys
keys = ["STAMP", "DATE_HUMAN", "NPROC", "CPU_MODEL", "MEM", "KERNEL", "LOAD_START", "LOAD_END",
        "env_desc", "cmd", "BENCH_CMD", "SERVERS", "WORKLOADS", "GIT_REV", "GIT_DIRTY",
        "EXTENDDO_SERVE", "RUSTC_VERSION", "DYNALITE_VERSION", "NODE_VERSION", "MOTO_VERSION",
        "DYNOXIDE_VERSION",
        "BASELINE_DESC", "WRANGLER_VERSION", "EXTENDDO_STATUS"]
json.dump({k: os.environ.get(k, "") for k in keys}, open(sys.argv[1], "w"), indent=1)
PY
if [[ $UPDATE_DOCS == 1 ]]; then
  python3 "$BENCH_DIR/report.py" "$OUT" --update-docs >/dev/null
else
  python3 "$BENCH_DIR/report.py" "$OUT" >/dev/null
fi
log "results: $OUT/results.md"
cat "$OUT/results.md"
