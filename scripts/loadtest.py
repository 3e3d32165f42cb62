#!/usr/bin/env python3
"""Bounded load generator for a running `trawl serve`: p50/p99 latency and QPS.

Each of C client threads keeps one HTTP/1.1 connection and sends searches
(queries taken round-robin from a BEIR queries.jsonl) back to back for a fixed
number of requests. Standard library only.

    scripts/loadtest.py --base http://127.0.0.1:7700 --key KEY \
        --queries ../shared/eval/scifact/queries.jsonl --concurrency 1,8,32 --requests 400

Soak mode: `--soak SECONDS --concurrency 32 --server-pid PID` keeps 32 clients
busy for that long and prints one row per minute (requests, errors, QPS, p50,
p99, the server's resident memory), then whether memory stayed flat: the last
window's RSS against the first's, after warm-up.
"""
import argparse
import http.client
import itertools
import json
import threading
import time
import urllib.parse


def rss_mb(pid):
    """Resident memory of a process, in MiB (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_level(base, key, queries, mode, concurrency, total, deadline=None, record=None):
    url = urllib.parse.urlsplit(base)
    latencies, errors, lock = [], [], threading.Lock()
    counter = iter(range(total)) if deadline is None else itertools.count()

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        while True:
            with lock:
                i = next(counter, None)
            if i is None or (deadline is not None and time.perf_counter() >= deadline):
                break
            q = urllib.parse.quote(queries[i % len(queries)])
            t = time.perf_counter()
            try:
                conn.request("GET", f"/api/search?q={q}&k=10&mode={mode}", headers=headers)
                res = conn.getresponse()
                res.read()
                ok = res.status == 200
            except OSError as e:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            dt = time.perf_counter() - t
            with lock:
                (latencies if ok else errors).append(dt)
                if record is not None:
                    record.append((time.perf_counter(), dt, ok))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e3 if latencies else None
    return {
        "concurrency": concurrency,
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "qps": round(len(latencies) / wall, 1),
        "p50_ms": round(pct(0.50), 1),
        "p99_ms": round(pct(0.99), 1),
        "max_ms": round(latencies[-1] * 1e3, 1) if latencies else None,
    }


def percentile(values, p):
    return round(values[min(len(values) - 1, int(p * len(values)))] * 1e3, 1) if values else None


def soak(args, queries):
    """Clients for `args.soak` seconds; one row per window, RSS sampled by a side thread."""
    record, samples, stop = [], [], threading.Event()

    def sampler():
        while not stop.wait(5):
            samples.append((time.perf_counter(), rss_mb(args.server_pid) if args.server_pid else None))

    start = time.perf_counter()
    side = threading.Thread(target=sampler, daemon=True)
    side.start()
    total = run_level(args.base, args.key, queries, args.mode, int(args.concurrency.split(",")[0]),
                      0, deadline=start + args.soak, record=record)
    stop.set()
    rows = []
    window = args.window
    for w in range(int(args.soak // window) + (1 if args.soak % window else 0)):
        lo, hi = start + w * window, start + (w + 1) * window
        lat = sorted(dt for t, dt, ok in record if lo <= t < hi and ok)
        errs = sum(1 for t, _, ok in record if lo <= t < hi and not ok)
        rss = [m for t, m in samples if lo <= t < hi and m is not None]
        rows.append({
            "window": w + 1,
            "requests": len(lat) + errs,
            "errors": errs,
            "qps": round(len(lat) / window, 1),
            "p50_ms": percentile(lat, 0.5),
            "p99_ms": percentile(lat, 0.99),
            "rss_mb": round(max(rss), 1) if rss else None,
        })
    rss_rows = [r["rss_mb"] for r in rows if r["rss_mb"] is not None]
    summary = {
        "seconds": args.soak,
        "concurrency": total["concurrency"],
        "requests": total["requests"],
        "errors": total["errors"],
        "qps": total["qps"],
        "p50_ms": total["p50_ms"],
        "p99_ms": total["p99_ms"],
        "max_ms": total["max_ms"],
        # the first window includes warm-up (caches, allocator arenas); flat = later windows
        # within 10 % of the second
        "rss_first_mb": rss_rows[1] if len(rss_rows) > 1 else None,
        "rss_last_mb": rss_rows[-1] if rss_rows else None,
        "rss_flat": (rss_rows[-1] <= rss_rows[1] * 1.10) if len(rss_rows) > 2 else None,
    }
    print(json.dumps({"summary": summary, "windows": rows}, indent=1))
    print("| window | requests | errors | QPS | p50 ms | p99 ms | server RSS MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['window']} | {r['requests']} | {r['errors']} | {r['qps']} | {r['p50_ms']} | {r['p99_ms']} | {r['rss_mb']} |")
    return 1 if total["errors"] or summary["rss_flat"] is False else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--key", default="")
    ap.add_argument("--queries", required=True, help="BEIR queries.jsonl")
    ap.add_argument("--mode", default="hybrid")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--requests", type=int, default=400, help="per concurrency level")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--soak", type=float, help="run this many seconds at the first concurrency instead")
    ap.add_argument("--window", type=float, default=60, help="seconds per soak report row")
    ap.add_argument("--server-pid", type=int, help="sample this process's RSS during a soak")
    args = ap.parse_args()
    with open(args.queries) as f:
        queries = [json.loads(line)["text"] for line in f if line.strip()]
    run_level(args.base, args.key, queries, args.mode, 1, args.warmup)
    if args.soak:
        raise SystemExit(soak(args, queries))
    rows = [run_level(args.base, args.key, queries, args.mode, int(c), args.requests)
            for c in args.concurrency.split(",")]
    print(json.dumps(rows, indent=1))
    print("| concurrency | requests | errors | QPS | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['concurrency']} | {r['requests']} | {r['errors']} | {r['qps']} | {r['p50_ms']} | {r['p99_ms']} |")


if __name__ == "__main__":
    main()
