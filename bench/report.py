#!/usr/bin/env python3
"""bench/report.py — the markdown report of one `bench/run.sh` run.

    bench/report.py bench/results/<stamp>                 # print the report
    bench/report.py bench/results/<stamp> --update-docs   # and put it into docs/benchmarks.md

Reads the run's raw results (`<server>-<workload>.json`) and the run's description
(`meta.json`, written by run.sh), so a report can be made again from the raw results alone.
"""

import json
import os
import sys


def report(out):
    E = json.load(open(os.path.join(out, "meta.json")))
    text = []

    def emit(*args):
        text.append(" ".join(str(a) for a in args))

    servers = E["SERVERS"].split()
    workloads = E["WORKLOADS"].split()
    res = {}
    for s in servers:
        for w in workloads:
            p = os.path.join(out, f"{s}-{w}.json")
            if os.path.exists(p):
                res[(s, w)] = json.load(open(p))
    def ms(v): return "–" if v is None else f"{v:.2f}"
    def ops(r): return f"{r['ops_per_sec']:,.0f}"
    emit(f"### Run {E['STAMP']}\n")
    emit(f"- date: {E['DATE_HUMAN']}; raw results in `bench/results/{E['STAMP']}/` (not committed)")
    emit(f"- machine: {E['NPROC']} cores ({E['CPU_MODEL']}), {E['MEM']}, {E['KERNEL']}; "
          "client and server share these cores (client: 1 runtime thread unless THREADS is set)")
    emit(f"- load average (1/5/15 min) before the run: {E['LOAD_START']}; after: {E['LOAD_END']} "
          "(other work on the machine shows up here and in the numbers)")
    emit(f"- command: `{E['env_desc']} {E['cmd']}`")
    emit(f"- each run: `{E['BENCH_CMD']}`")
    vers = []
    if "extenddo" in servers:
        vers += [f"extenddo {E['GIT_REV']}{E['GIT_DIRTY']} (`{E['EXTENDDO_SERVE']}`)", E["RUSTC_VERSION"]]
    if E.get("DYNOXIDE_VERSION"): vers.append(f"Dynoxide {E['DYNOXIDE_VERSION']} (SQLite file on disk)")
    if E.get("DYNALITE_VERSION"): vers.append(f"dynalite {E['DYNALITE_VERSION']} (LevelDB on disk, node {E['NODE_VERSION']})")
    if E.get("MOTO_VERSION"): vers.append(f"moto {E['MOTO_VERSION']} (moto_server, in memory)")
    if E.get("BASELINE_DESC"): vers.append(E["BASELINE_DESC"])
    if E.get("WRANGLER_VERSION"): vers.append(f"worker {E['GIT_REV']}{E['GIT_DIRTY']} under wrangler dev {E['WRANGLER_VERSION']} (local workerd, Durable Object SQLite)")
    emit("- versions: " + "; ".join(vers))
    if E.get("EXTENDDO_STATUS"):
        emit(f"- **extenddo was not benchmarked in this run: {E['EXTENDDO_STATUS']}.** "
              "The numbers below are for the comparison servers only.")
    emit()
    emit("| workload | server | ops/s | p50 ms | p99 ms | p99.9 ms | errors | reconnects |")
    emit("|---|---|---:|---:|---:|---:|---:|---:|")
    for w in workloads:
        for s in servers:
            r = res.get((s, w))
            if r is None:
                emit(f"| {w} | {s} | not run | | | | | |"); continue
            l = r["latency_ms"]
            emit(f"| {w} | {s} | {ops(r)} | {ms(l['p50'])} | {ms(l['p99'])} | {ms(l['p999'])} | {r['errors']} | {r['reconnects']} |")
    others = [s for s in servers if s not in ("extenddo", "worker")]
    if others and any(k[0] == "extenddo" for k in res):
        emit()
        emit("| workload | " + " | ".join(f"extenddo/{o} (ops/s)" for o in others) + " |")
        emit("|---|" + "---:|" * len(others))
        for w in workloads:
            cells = []
            for o in others:
                a, b = res.get(("extenddo", w)), res.get((o, w))
                cells.append("–" if not a or not b or b["ops_per_sec"] == 0 else f"{a['ops_per_sec'] / b['ops_per_sec']:.2f}×")
            emit(f"| {w} | " + " | ".join(cells) + " |")
    floors = {s: res[(s, "floor")]["ops_per_sec"] for s in servers if (s, "floor") in res and res[(s, "floor")]["ops_per_sec"] > 0}
    if floors:
        emit()
        emit("Share of each server's own floor (`GET /` on the same server, same run):\n")
        emit("| workload | " + " | ".join(f"{s}/floor" for s in floors) + " |")
        emit("|---|" + "---:|" * len(floors))
        for w in workloads:
            if w == "floor": continue
            cells = []
            for s, f in floors.items():
                r = res.get((s, w))
                cells.append("–" if not r else f"{100 * r['ops_per_sec'] / f:.0f} %")
            emit(f"| {w} | " + " | ".join(cells) + " |")
    errs = [(s, w, k, v) for (s, w), r in res.items() for k, v in r["error_kinds"].items()]
    if errs:
        emit("\nErrors (counted, never as throughput):\n")
        for s, w, k, v in errs:
            sample = v["sample"].replace("|", "\\|").replace("`", "'")[:160]
            emit(f"- {s} {w}: {v['count']} × {k} — e.g. `{sample}`")

    return "\n".join(text) + "\n"


def update_docs(doc, res):
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    try:
        text = open(doc).read()
    except FileNotFoundError:
        text = "# Benchmarks\n\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + start + "\n" + res + end + tail
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + start + "\n" + res + end + "\n"
    open(doc, "w").write(text)



def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    text = report(out)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    if "--update-docs" in sys.argv[2:]:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        update_docs(os.path.join(root, "docs", "benchmarks.md"), text)
        print(f"updated {os.path.join(root, 'docs', 'benchmarks.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
