#!/usr/bin/env bash
# ExtendDO: the project's one test command.
#
#   scripts/test.sh
#
# Runs, in order, and reports every step even when an earlier one failed:
#   1. Python env: .venv (python3 -m venv) + pip install -r tests/e2e/requirements.txt
#      (skipped when .venv already has exactly those requirements)
#   2. cargo test --workspace --exclude extenddo-worker   (the Worker crate is wasm-only),
#      then the transaction simulation with 10,000 cases, optimised:
#      TX_SIM_CASES=10000 cargo test --release -p extenddo-engine --test tx_sim
#   3. cargo build -p extenddo-cli   (a debug build: it reuses what step 2 compiled, and debug
#      assertions and overflow checks stay on while the suite runs)
#   4. end-to-end suite (tests/e2e, boto3 + pytest + awscli) against the native host, then
#      bench/many_tables.py --tables 3000 on a release build (memory and descriptor bounds
#      with many tables; exits non-zero on a failed request or a bound exceeded)
#   5. scripts/build-worker.sh                            (installs its own tools if missing)
#   6. the same end-to-end suite against the Worker host (wrangler dev, real workerd)
# and exits non-zero if anything failed. Works on a fresh machine with nothing installed by
# hand (CI runs it as root through .ci/run).
#
# Switches for local iteration (the default runs everything):
#   SKIP_CARGO_TEST=1    skip step 2
#   SKIP_NATIVE=1        skip steps 3-4
#   SKIP_MANY_TABLES=1   skip the many-tables bound of step 4
#   SKIP_WORKER=1        skip steps 5-6
#   SKIP_WORKER_BUILD=1  skip step 5 (use the Worker already in build/)
#   E2E_ARGS="..."       extra pytest arguments for both e2e runs (e.g. "-k query -x")
#   PYTEST_TIMEOUT=N     per-test timeout in seconds (default 300; includes host start-up)
#   EXTENDDO_BIN=path    native binary for step 4 (default target/debug/extenddo)
#   VENV=dir             Python venv (default .venv)
#   TEST_LOG_DIR=dir     where logs and JUnit XML go (default target/test-logs)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

VENV="${VENV:-$ROOT/.venv}"
LOG_DIR="${TEST_LOG_DIR:-$ROOT/target/test-logs}"
PYTEST_TIMEOUT="${PYTEST_TIMEOUT:-300}"
REQS="$ROOT/tests/e2e/requirements.txt"
mkdir -p "$LOG_DIR"

STEP_NAMES=()
STEP_STATUS=()
STEP_SECS=()
STEP_NOTE=()
FAILED=0

hr() { printf '%s\n' "=================================================================================="; }
record() { # name status secs note
  STEP_NAMES+=("$1"); STEP_STATUS+=("$2"); STEP_SECS+=("$3"); STEP_NOTE+=("${4:-}")
  case "$2" in PASS|SKIP) ;; *) FAILED=1 ;; esac
}
# run_step NAME CMD...: runs CMD, records PASS/FAIL; returns CMD's status.
run_step() {
  local name="$1"; shift
  local t0=$SECONDS rc
  hr; echo "==> $name"; echo "    \$ $*"; hr
  "$@"
  rc=$?
  local secs=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then
    record "$name" PASS "$secs"
  else
    record "$name" FAIL "$secs" "exit $rc"
    echo "!!! $name failed (exit $rc)"
  fi
  return "$rc"
}
skip_step() { hr; echo "==> $1: skipped ($2)"; record "$1" SKIP 0 "$2"; }
notrun_step() { hr; echo "==> $1: NOT RUN ($2)"; record "$1" "NOT RUN" 0 "$2"; }

# ---- 1. Python environment -------------------------------------------------------------------
python_env() {
  local py=python3
  command -v "$py" >/dev/null 2>&1 || { echo "python3 not found"; return 1; }
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$VENV"
    echo "creating $VENV"
    if ! "$py" -m venv "$VENV"; then
      if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "python3 -m venv failed; installing python3-venv (apt)"
        rm -rf "$VENV"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
          && "$py" -m venv "$VENV" || return 1
      else
        return 1
      fi
    fi
  fi
  local want have
  want="$(cat "$REQS" | sha256sum | cut -d' ' -f1)-$("$VENV/bin/python" -V 2>&1)"
  have="$(cat "$VENV/.e2e-requirements.stamp" 2>/dev/null || true)"
  if [ "$want" = "$have" ]; then
    echo "$VENV already has tests/e2e/requirements.txt installed"
    return 0
  fi
  "$VENV/bin/python" -m pip install -q -r "$REQS" || return 1
  echo "$want" > "$VENV/.e2e-requirements.stamp"
  "$VENV/bin/python" -m pip list 2>/dev/null | grep -iE '^(boto3|botocore|awscli|pytest|pytest-timeout|requests) '
}

# ---- e2e ---------------------------------------------------------------------------------------
e2e() { # host
  local host="$1" args=()
  if [ -n "${E2E_ARGS:-}" ]; then
    local extra=()
    eval "extra=(${E2E_ARGS})" # shell words, so quoting works: E2E_ARGS="-k 'a or b'"
    args+=("${extra[@]}")
  fi
  "$VENV/bin/python" -m pytest tests/e2e --host "$host" --timeout "$PYTEST_TIMEOUT" \
    --junitxml "$LOG_DIR/e2e-$host.xml" ${args[@]+"${args[@]}"}
}

# ---- run ---------------------------------------------------------------------------------------
START=$SECONDS
echo "ExtendDO test run: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $ROOT (logs: $LOG_DIR)"
rm -f "$LOG_DIR"/e2e-*.xml "$LOG_DIR"/cargo-test.log

PY_OK=0
run_step "python env" python_env && PY_OK=1

if [ "${SKIP_CARGO_TEST:-0}" = 1 ]; then
  skip_step "cargo test" "SKIP_CARGO_TEST=1"
  skip_step "tx simulation" "SKIP_CARGO_TEST=1"
else
  run_step "cargo test" bash -c 'set -o pipefail; cargo test --workspace --exclude extenddo-worker 2>&1 | tee "$1"' _ "$LOG_DIR/cargo-test.log"
  run_step "tx simulation" bash -c 'set -o pipefail; TX_SIM_CASES=10000 cargo test --release -p extenddo-engine --test tx_sim 2>&1 | tee -a "$1"' _ "$LOG_DIR/cargo-test.log"
fi

if [ "${SKIP_NATIVE:-0}" = 1 ]; then
  skip_step "cargo build" "SKIP_NATIVE=1"
  skip_step "e2e native" "SKIP_NATIVE=1"
else
  BUILD_OK=0
  if [ -n "${EXTENDDO_BIN:-}" ]; then
    skip_step "cargo build" "EXTENDDO_BIN=$EXTENDDO_BIN"
    BUILD_OK=1
  else
    run_step "cargo build" cargo build -p extenddo-cli && BUILD_OK=1
    export EXTENDDO_BIN="$ROOT/target/debug/extenddo"
  fi
  if [ "$PY_OK" != 1 ]; then
    notrun_step "e2e native" "python env failed"
  elif [ "$BUILD_OK" != 1 ]; then
    notrun_step "e2e native" "build failed"
  else
    run_step "e2e native" e2e native
  fi
  # Issue 13's many-tables bound (RSS, descriptors, every item readable after kill -9) on
  # the optimised server, as shipped: 3,000 tables under `ulimit -n 1024` pass through far
  # more than the open-table slots, which is what bounds memory and descriptors. Not a
  # speed test: creates/s is printed, not checked.
  if [ "${SKIP_MANY_TABLES:-0}" = 1 ]; then
    skip_step "many tables" "SKIP_MANY_TABLES=1"
  elif [ "$PY_OK" != 1 ]; then
    notrun_step "many tables" "python env failed"
  else
    run_step "many tables" bash -c 'cargo build --release -p extenddo-cli && "$1" bench/many_tables.py --tables 3000 --bin target/release/extenddo' _ "$VENV/bin/python"
  fi
fi

if [ "${SKIP_WORKER:-0}" = 1 ]; then
  skip_step "build worker" "SKIP_WORKER=1"
  skip_step "e2e worker" "SKIP_WORKER=1"
else
  WBUILD_OK=0
  if [ "${SKIP_WORKER_BUILD:-0}" = 1 ]; then
    skip_step "build worker" "SKIP_WORKER_BUILD=1"
    WBUILD_OK=1
  else
    run_step "build worker" scripts/build-worker.sh && WBUILD_OK=1
  fi
  if [ "$PY_OK" != 1 ]; then
    notrun_step "e2e worker" "python env failed"
  elif [ "$WBUILD_OK" != 1 ]; then
    notrun_step "e2e worker" "worker build failed"
  else
    run_step "e2e worker" e2e worker
  fi
fi

# ---- summary -----------------------------------------------------------------------------------
counts() { # prints "passed failed skipped" for cargo log + junit files
  local cp=0 cf=0 ci=0
  if [ -f "$LOG_DIR/cargo-test.log" ]; then
    read -r cp cf ci < <(awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
          if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i
        } } END { printf "%d %d %d\n", p, f, g }' "$LOG_DIR/cargo-test.log")
  fi
  local py=python3
  [ -x "$VENV/bin/python" ] && py="$VENV/bin/python"
  "$py" - "$cp" "$cf" "$ci" "$LOG_DIR" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p, f, s = (int(x) for x in sys.argv[1:4])
rows = [("cargo test", p, f, s)] if p + f + s else []
for path in sorted(glob.glob(sys.argv[4] + "/e2e-*.xml")):
    try:
        root = ET.parse(path).getroot()
    except Exception:
        continue
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    t = sum(int(x.get("tests", 0)) for x in suites)
    fl = sum(int(x.get("failures", 0)) + int(x.get("errors", 0)) for x in suites)
    sk = sum(int(x.get("skipped", 0)) for x in suites)
    rows.append((path.rsplit("/", 1)[-1][:-4], t - fl - sk, fl, sk))
for name, a, b, c in rows:
    print(f"    {name:<22} {a:6d} passed {b:6d} failed {c:6d} skipped")
tp, tf, ts = (sum(r[i] for r in rows) for i in (1, 2, 3))
print(f"TOTAL {tp} {tf} {ts}")
PY
}

hr
echo "SUMMARY ($(( (SECONDS - START) / 60 ))m$(( (SECONDS - START) % 60 ))s)"
for i in "${!STEP_NAMES[@]}"; do
  printf '    %-24s %-8s %5ss  %s\n' "${STEP_NAMES[$i]}" "${STEP_STATUS[$i]}" "${STEP_SECS[$i]}" "${STEP_NOTE[$i]}"
done
echo "  tests:"
COUNTS="$(counts)"
echo "$COUNTS" | grep -v '^TOTAL'
read -r _ TP TF TS < <(echo "$COUNTS" | grep '^TOTAL')
hr
if [ "$FAILED" -eq 0 ]; then
  echo "RESULT: PASS"
else
  echo "RESULT: FAIL"
fi
echo "total: ${TP:-0} passed, ${TF:-0} failed, ${TS:-0} skipped"
exit "$FAILED"
