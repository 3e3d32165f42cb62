#!/usr/bin/env python3
"""Bounded load generator for a running `trawl serve`: p50/p99 latency and QPS.

Each of C client threads keeps one HTTP/1.1 connection and sends searches
(queries taken round-robin from a BEIR queries.jsonl) back to back for a fixed
number of requests. Standard library only.

    scripts/loadtest.py --base http://127.0.0.1:7700 --key KEY \
        --queries ../shared/eval/scifact/queries.jsonl --concurrency 1,8,32 --requests 400
"""
import argparse
import http.client
import json
import threading
import time
import urllib.parse


def run_level(base, key, queries, mode, concurrency, total):
    url = urllib.parse.urlsplit(base)
    latencies, errors, lock = [], [], threading.Lock()
    counter = iter(range(total))

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--key", default="")
    ap.add_argument("--queries", required=True, help="BEIR queries.jsonl")
    ap.add_argument("--mode", default="hybrid")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--requests", type=int, default=400, help="per concurrency level")
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    with open(args.queries) as f:
        queries = [json.loads(line)["text"] for line in f if line.strip()]
    run_level(args.base, args.key, queries, args.mode, 1, args.warmup)
    rows = [run_level(args.base, args.key, queries, args.mode, int(c), args.requests)
            for c in args.concurrency.split(",")]
    print(json.dumps(rows, indent=1))
    print("| concurrency | requests | errors | QPS | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['concurrency']} | {r['requests']} | {r['errors']} | {r['qps']} | {r['p50_ms']} | {r['p99_ms']} |")


if __name__ == "__main__":
    main()
