#!/usr/bin/env bash
# Serves the already built Worker (build/, from scripts/build-worker.sh) locally with
# `wrangler dev --local`: no rebuild, no login, no network needed. Runs in the foreground;
# callers that background it should start it with setsid and stop the whole process group
# (wrangler starts node and workerd children).
#
# Usage: scripts/worker-dev.sh [--port PORT] [--persist-to DIR] [-- extra wrangler dev args]
#   --port PORT        listen on 127.0.0.1:PORT (default 8787)
#   --persist-to DIR   Durable Object / R2 state directory (default .wrangler-state)
# Ready when `curl -fsS http://127.0.0.1:PORT/` succeeds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT=8787
PERSIST="$ROOT/.wrangler-state"
EXTRA=()

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --port) [ "$#" -ge 2 ] || usage; PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --persist-to) [ "$#" -ge 2 ] || usage; PERSIST="$2"; shift 2 ;;
    --persist-to=*) PERSIST="${1#*=}"; shift ;;
    -h|--help) usage 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "worker-dev.sh: unknown argument: $1" >&2; usage ;;
  esac
done

case "$PORT" in ''|*[!0-9]*) echo "worker-dev.sh: bad port: $PORT" >&2; exit 2 ;; esac
mkdir -p "$PERSIST"
PERSIST="$(cd "$PERSIST" && pwd)" # relative to the caller's directory, not $ROOT

cd "$ROOT"
if [ ! -f build/index.js ] || [ ! -f build/index_bg.wasm ]; then
  echo "worker-dev.sh: no built Worker in build/: run scripts/build-worker.sh first" >&2
  exit 1
fi
if [ ! -x node_modules/.bin/wrangler ]; then
  echo "worker-dev.sh: node_modules/.bin/wrangler missing: run npm ci (or scripts/build-worker.sh)" >&2
  exit 1
fi

export WRANGLER_SEND_METRICS=false
exec node_modules/.bin/wrangler dev \
  --config wrangler.prebuilt.jsonc \
  --local --ip 127.0.0.1 --port "$PORT" \
  --persist-to "$PERSIST" \
  --show-interactive-dev-session=false \
  ${EXTRA[@]+"${EXTRA[@]}"}
