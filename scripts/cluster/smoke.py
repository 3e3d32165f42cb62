"""Smoke check of the local SolrCloud that scripts/cluster.sh starts (stdlib only).

Run through scripts/cluster-smoke.sh, which brings the cluster up first. On a collection of its
own (same configset, 3 shards x 2 replicas, deleted at the end) it checks:

1. indexing chunks with 384-d vectors (JSON update, commit=true);
2. a BM25 query (edismax over content + title^0.3) with the permission filter as an fq;
3. a kNN query whose fq on groups pre-filters the HNSW search: the nearest chunks all belong to
   another group, yet the filtered kNN returns a full page of the caller's group and never one
   of the other group (a post-filter would return nothing);
4. kill -9 of a Solr node while queries run: queries keep answering from the replicas, a
   document written (and committed) during the outage is searchable;
5. restarting the node (cluster.sh up) rejoins it: every replica active again and the replicas of
   each shard hold the same documents, the outage's write included.

Prints one line per check and "N passed, N failed".
"""

import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HOME = os.path.join(os.environ.get("TRAWL_HOME", os.path.expanduser("~/.cache/trawl")), "cluster")
BASE_PORT = int(os.environ.get("TRAWL_CLUSTER_PORT", "18983"))
NODES = {f"node{i}": f"http://127.0.0.1:{BASE_PORT + i - 1}/solr" for i in (1, 2, 3)}
COLLECTION = "trawl_smoke"
CLUSTER_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster.sh")
DIM = 384

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
    return ok


def call(base, path, params=None, body=None, timeout=30):
    """POST form parameters (kNN vectors do not fit in a URL's 8 KiB) or a JSON body."""
    url = f"{base}/{path}"
    if body is not None:
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
    else:
        req = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(params or {}, doseq=True).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{url}: HTTP {e.code}: {e.read()[:500].decode(errors='replace')}") from None


def unit(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def vec_literal(v):
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"


def groups_fq(groups):
    # {!terms} takes the values verbatim (comma-separated): no query syntax to escape.
    return "{!terms f=groups}" + ",".join(groups)


def bm25(base, text, groups, rows=10):
    return call(
        base,
        f"{COLLECTION}/select",
        {
            "q": "{!edismax qf='content title^0.3' v=$qq}",
            "qq": text,
            "fq": groups_fq(groups),
            "fl": "chunk_id,doc_id,groups,score",
            "rows": rows,
        },
    )["response"]


def knn(base, vector, groups=None, top_k=10, rows=10):
    params = {
        "q": f"{{!knn f=vector topK={top_k}}}{vec_literal(vector)}",
        "fl": "chunk_id,doc_id,groups,score",
        "rows": rows,
    }
    if groups is not None:
        params["fq"] = groups_fq(groups)
    return call(base, f"{COLLECTION}/select", params)["response"]


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86_32, as Solr's compositeId router hashes ids (returned signed)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed
    n = len(data) // 4 * 4
    for i in range(0, n, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    k = 0
    tail = data[n:]
    if len(tail) == 3:
        k ^= tail[2] << 16
    if len(tail) >= 2:
        k ^= tail[1] << 8
    if len(tail) >= 1:
        k ^= tail[0]
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def composite_hash(chunk_id: str) -> int:
    """Solr's compositeId hash of "DOC!ORDINAL": top 16 bits from DOC, low 16 from ORDINAL."""
    doc, _, rest = chunk_id.partition("!")
    h = (murmur3_32(doc.encode()) & 0xFFFF0000) | (murmur3_32(rest.encode()) & 0x0000FFFF)
    return h - (1 << 32) if h & 0x80000000 else h


def shard_of(chunk_id, shards):
    h = composite_hash(chunk_id)
    for name, s in shards.items():
        lo, hi = (int(x, 16) for x in s["range"].split("-"))
        lo, hi = (v - (1 << 32) if v & 0x80000000 else v for v in (lo, hi))
        if lo <= h <= hi:
            return name
    raise RuntimeError(f"no shard range holds {chunk_id}")


def cluster_status(base):
    return call(
        base, "admin/collections", {"action": "CLUSTERSTATUS", "collection": COLLECTION}
    )["cluster"]


def wait_active(base, timeout=180):
    end = time.time() + timeout
    while time.time() < end:
        try:
            c = cluster_status(base)
            live = set(c["live_nodes"])
            reps = [
                r
                for s in c["collections"][COLLECTION]["shards"].values()
                for r in s["replicas"].values()
            ]
            if len(reps) == 6 and all(
                r["state"] == "active" and r["node_name"] in live for r in reps
            ):
                return True
        except Exception:
            pass
        time.sleep(1)
    return False


def main():
    rnd = random.Random(19)
    n1 = NODES["node1"]

    # A collection of the smoke's own, so trawl's `passages` collection is left alone.
    existing = call(n1, "admin/collections", {"action": "LIST"})["collections"]
    if COLLECTION in existing:
        call(n1, "admin/collections", {"action": "DELETE", "name": COLLECTION}, timeout=120)
    call(
        n1,
        "admin/collections",
        {
            "action": "CREATE",
            "name": COLLECTION,
            "collection.configName": "trawl",
            "numShards": 3,
            "replicationFactor": 2,
            "waitForFinalState": "true",
        },
        timeout=180,
    )
    check("smoke collection created (3 shards x 2 replicas)", wait_active(n1))

    # The query vector; "hr" chunks sit right next to it, "legal" and "public" ones further off.
    query = unit([rnd.gauss(0, 1) for _ in range(DIM)])

    def near(scale):
        return unit([q + rnd.gauss(0, scale) for q in query])

    docs = []
    for i in range(40):
        docs.append(
            {
                "chunk_id": f"hr{i}!0",
                "doc_id": f"hr{i}",
                "path": f"hr/memo{i}.txt",
                "title": f"HR memo {i}",
                "section": "Termination",
                "body": "Termination of employment for cause: notice of termination and severance.",
                "kind": "text",
                "tags": ["confidential"],
                "custodian": "hr-dept",
                "groups": ["hr"],
                "date": "2024-01-15T00:00:00Z",
                "modified": "2024-02-01T10:00:00Z",
                "page": 1,
                "ordinal": 0,
                "vector": near(0.02),
            }
        )
    for i in range(8):
        docs.append(
            {
                "chunk_id": f"legal{i}!{i % 2}",
                "doc_id": f"legal{i}",
                "path": f"legal/lease{i}.pdf",
                "title": f"Lease {i}",
                "section": "Early termination",
                "body": "Either party may terminate the lease with ninety days written notice.",
                "kind": "pdf",
                "tags": ["contract"],
                "custodian": "legal-dept",
                "groups": ["legal"] if i < 6 else ["__public__"],
                "date": "2023-06-01T00:00:00Z",
                "modified": "2023-06-02T00:00:00Z",
                "page": 2,
                "ordinal": i % 2,
                "vector": near(0.08),
            }
        )
    r = call(n1, f"{COLLECTION}/update", {"commit": "true"}, body=docs, timeout=120)
    check("indexed 48 chunks with 384-d vectors, commit=true", r["responseHeader"]["status"] == 0,
          f"achieved replication factor rf={r['responseHeader'].get('rf')}")
    total = call(n1, f"{COLLECTION}/select", {"q": "*:*", "rows": 0})["response"]["numFound"]
    check("all 48 chunks searchable", total == 48, f"numFound={total}")
    shards = cluster_status(n1)["collections"][COLLECTION]["shards"]
    placed = call(n1, f"{COLLECTION}/select", {"q": "*:*", "fl": "chunk_id,[shard]", "rows": 100})["response"]["docs"]
    core_shard = {r["core"]: name for name, s in shards.items() for r in s["replicas"].values()}

    def placed_in(d):  # [shard] is the shard's name, or replica URLs (".../CORE/|...")
        v = d["[shard]"]
        return v if v in shards else core_shard.get(v.split("|")[0].rstrip("/").split("/")[-1])

    wrong = [d["chunk_id"] for d in placed if placed_in(d) != shard_of(d["chunk_id"], shards)]
    check("the smoke's compositeId hash predicts every chunk's shard", not wrong,
          f"{len(wrong)} of {len(placed)} mispredicted, e.g. {wrong[:3]}" if wrong else f"{len(placed)} chunks")

    # BM25 with the permission filter.
    res = bm25(n1, "termination notice", ["legal", "__public__"], rows=20)
    got = {tuple(d["groups"]) for d in res["docs"]}
    scores = [d["score"] for d in res["docs"]]
    check(
        "BM25 (edismax content + title^0.3) with fq groups=legal,__public__",
        res["numFound"] == 8 and got <= {("legal",), ("__public__",)} and scores == sorted(scores, reverse=True) and scores[0] > 0,
        f"numFound={res['numFound']}, groups seen {sorted(got)}, top score {scores[0] if scores else None:.4f}",
    )
    res = bm25(n1, "termination notice", ["nobody"])
    check("BM25 for a principal with no matching group finds nothing", res["numFound"] == 0)

    # kNN without a filter: the 10 nearest chunks are all hr.
    res = knn(n1, query, top_k=10)
    nearest = {d["groups"][0] for d in res["docs"]}
    check("kNN without filter: nearest are all 'hr'", nearest == {"hr"} and len(res["docs"]) == 10,
          f"{len(res['docs'])} hits, groups {sorted(nearest)}, top score {res['docs'][0]['score']:.4f}")
    # kNN with fq: pre-filtered inside HNSW, so a full page of legal/public comes back.
    res = knn(n1, query, groups=["legal", "__public__"], top_k=5, rows=5)
    got = [d["groups"][0] for d in res["docs"]]
    check(
        "kNN topK=5 with fq groups=legal,__public__ returns 5 allowed chunks, no 'hr' (filter inside kNN)",
        len(got) == 5 and "hr" not in got,
        f"groups {got}",
    )
    res = knn(n1, query, groups=["legal"], top_k=50, rows=50)
    got = {d["groups"][0] for d in res["docs"]}
    check("kNN topK=50 with fq groups=legal returns exactly the 6 legal chunks",
          len(res["docs"]) == 6 and got == {"legal"}, f"{len(res['docs'])} hits, groups {sorted(got)}")
    # Several fq's intersect (permission + a metadata filter), still inside kNN.
    r2 = call(n1, f"{COLLECTION}/select", {
        "q": f"{{!knn f=vector topK=5}}{vec_literal(query)}",
        "fq": [groups_fq(["legal", "__public__", "hr"]), "kind:pdf", "date:[2023-01-01T00:00:00Z TO 2023-12-31T23:59:59Z]"],
        "fl": "chunk_id,kind", "rows": 5})["response"]
    check("kNN with permission + kind + date fq's", len(r2["docs"]) == 5 and all(d["kind"] == "pdf" for d in r2["docs"]),
          f"{len(r2['docs'])} hits")

    # Failover: kill -9 the node (not node1, which the load talks to) leading the most shards.
    c = cluster_status(n1)
    leaders = {}
    for s in c["collections"][COLLECTION]["shards"].values():
        for r in s["replicas"].values():
            if r.get("leader") == "true":
                leaders[r["node_name"]] = leaders.get(r["node_name"], 0) + 1
    port_of = {name: int(url.split(":")[2].split("/")[0]) for name, url in NODES.items()}
    victim = max(
        (n for n in ("node2", "node3")),
        key=lambda n: leaders.get(f"127.0.0.1:{port_of[n]}_solr", 0),
    )
    with open(os.path.join(HOME, "run", f"{victim}.pid")) as f:
        pid = int(f.read().strip())

    stop = threading.Event()
    stats = {"ok": 0, "fail": 0, "errors": [], "latencies": []}

    def load():
        i = 0
        while not stop.is_set():
            t = time.time()
            try:
                if i % 2:
                    r = knn(n1, query, groups=["legal", "__public__"], top_k=5, rows=5)
                    good = len(r["docs"]) == 5
                else:
                    r = bm25(n1, "termination notice", ["legal", "__public__"])
                    good = r["numFound"] == 8
                if good:
                    stats["ok"] += 1
                else:
                    stats["fail"] += 1
                    stats["errors"].append(f"partial result at +{t - t_kill:.1f}s: {r.get('numFound')}")
            except Exception as e:
                stats["fail"] += 1
                stats["errors"].append(f"+{t - t_kill:.1f}s: {str(e)[:200]}")
            stats["latencies"].append(time.time() - t)
            i += 1
            time.sleep(0.02)

    t_kill = time.time() + 2
    th = threading.Thread(target=load, daemon=True)
    th.start()
    time.sleep(2)
    os.kill(pid, 9)
    print(f"     killed {victim} (pid {pid}, leader of {leaders.get(f'127.0.0.1:{port_of[victim]}_solr', 0)} shards) with SIGKILL", flush=True)

    # A write during the outage: leaders of the victim's shards must be re-elected first
    # (the victim's ZooKeeper session expires after zkClientTimeout), so retry for up to 90 s.
    # The document goes to a shard whose leader was just killed, so the write has to wait for
    # the new leader: the id is chosen by the router's hash.
    victim_node = f"127.0.0.1:{port_of[victim]}_solr"
    led = {name for name, s in c["collections"][COLLECTION]["shards"].items()
           for r in s["replicas"].values() if r.get("leader") == "true" and r["node_name"] == victim_node}
    if not led:  # node1 leads every shard: the write then needs no new leader
        print("     note: the killed node led no shard", flush=True)
        led = set(shards)
    outage_id = next(f"outage{i}" for i in range(1000) if shard_of(f"outage{i}!0", shards) in led)
    outage_doc = {
        "chunk_id": f"{outage_id}!0", "doc_id": outage_id, "title": "Written during the outage",
        "body": "A committed document written while a node was down.", "groups": ["legal"],
        "vector": unit([rnd.gauss(0, 1) for _ in range(DIM)]),
    }
    t0 = time.time()
    write_err = None
    while time.time() - t0 < 90:
        try:
            call(n1, f"{COLLECTION}/update", {"commit": "true"}, body=[outage_doc], timeout=30)
            write_err = None
            break
        except Exception as e:
            write_err = str(e)[:200]
            time.sleep(1)
    write_s = time.time() - t0
    check(f"write + commit during the outage to a shard the dead node led ({shard_of(outage_doc['chunk_id'], shards)})", write_err is None,
          f"accepted {write_s:.1f}s after the kill" + (f"; last error {write_err}" if write_err else ""))
    time.sleep(max(0, 25 - (time.time() - t_kill)))
    stop.set()
    th.join()
    lat = sorted(stats["latencies"])
    p50 = lat[len(lat) // 2] * 1000 if lat else 0
    p99 = lat[int(len(lat) * 0.99)] * 1000 if lat else 0
    check(
        f"queries through node1 keep answering for {time.time() - t_kill:.0f}s after kill -9 of {victim}",
        stats["fail"] == 0 and stats["ok"] > 0,
        f"{stats['ok']} ok, {stats['fail']} failed, p50 {p50:.0f} ms, p99 {p99:.0f} ms"
        + (f"; first errors: {stats['errors'][:3]}" if stats["errors"] else ""),
    )
    res = bm25(n1, "committed document outage", ["legal"])
    check("the outage's document is searchable with one node down", res["numFound"] >= 1,
          f"numFound={res['numFound']}")
    try:
        call(NODES[victim], f"{COLLECTION}/select", {"q": "*:*", "rows": 0}, timeout=3)
        check(f"{victim} refuses while dead", False)
    except Exception:
        check(f"{victim} refuses while dead (clients must list several nodes)", True)

    # Restart: cluster.sh up starts only what is not running and waits until all are active.
    t0 = time.time()
    p = subprocess.run(["bash", CLUSTER_SH, "up"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    print("     " + p.stdout.strip().replace("\n", "\n     "), flush=True)
    rejoined = p.returncode == 0 and wait_active(n1)
    check(f"{victim} restarted by cluster.sh up and rejoined: all 6 replicas active",
          rejoined, f"{time.time() - t0:.1f}s" + ("" if p.returncode == 0 else f"; {p.stderr[-400:]}"))

    # Every replica of every shard holds the same documents (the outage's write recovered).
    c = cluster_status(n1)
    counts = {}
    same = True
    for sname, s in sorted(c["collections"][COLLECTION]["shards"].items()):
        per = []
        for r in s["replicas"].values():
            n = call(r["base_url"], f"{r['core']}/select",
                     {"q": "*:*", "rows": 0, "distrib": "false"})["response"]["numFound"]
            per.append(n)
        counts[sname] = per
        same &= len(set(per)) == 1
    total = call(n1, f"{COLLECTION}/select", {"q": "*:*", "rows": 0})["response"]["numFound"]
    check("replicas agree after rejoin and no committed document is lost",
          same and total == 49, f"per-shard replica counts {counts}, total {total}")
    for node, base in NODES.items():
        res = knn(base, query, groups=["legal", "__public__"], top_k=5, rows=5)
        if not check(f"filtered kNN through {node} after rejoin", len(res["docs"]) == 5 and all(d["groups"][0] != "hr" for d in res["docs"])):
            break

    if os.environ.get("TRAWL_SMOKE_KEEP") != "1":
        call(n1, "admin/collections", {"action": "DELETE", "name": COLLECTION}, timeout=120)

    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
