#!/usr/bin/env python3
"""Side-by-side comparison of trawl with LanceDB and Chroma on the same data.

Every engine gets the chunks trawl indexed and the vectors trawl's model made
(`trawl bench export`), and answers the same queries with the same precomputed
query vectors, so the comparison isolates the engines: query embedding is
excluded everywhere. Each peer is built, then queried, in subprocesses of its
own so that memory figures do not leak from one engine into another.

Subcommands:
  run     the whole comparison (export, peers, trawl, table, JSON)
  build   one peer: load the export into an on-disk store (used by `run`)
  query   one peer: open a store, time the queries, score them (used by `run`)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATASET = REPO.parent / "shared" / "eval" / "scifact"
# "lancedb" searches vectors exactly (LanceDB's default without a vector index);
# "lancedb-hnsw" adds its IVF_HNSW_SQ index, the ANN setup closest to trawl's and Chroma's.
PEERS = ("lancedb", "lancedb-hnsw", "chroma")
CHROMA_COLLECTION = "chunks"
LANCE_TABLE = "chunks"

Judged = dict[str, dict[str, int]]


# ------------------------------------------------------------------ the data


@dataclass
class Export:
    """What `trawl bench export` wrote, read back."""

    directory: Path
    chunk_ids: list[int]
    doc_ids: list[str]
    contents: list[str]
    vectors: np.ndarray
    query_ids: list[str]
    query_texts: list[str]
    query_vectors: np.ndarray
    qrels: Judged


def read_manifest(directory: Path) -> dict[str, Any]:
    with open(directory / "manifest.json", encoding="utf-8") as f:
        manifest: dict[str, Any] = json.load(f)
    return manifest


def read_matrix(path: Path, dim: int) -> np.ndarray:
    """A row-major little-endian float32 matrix with `dim` columns."""
    flat = np.fromfile(path, dtype="<f4")
    if flat.size % dim:
        raise ValueError(f"{path}: {flat.size} floats is not a multiple of {dim}")
    return flat.reshape(-1, dim)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path: Path) -> Judged:
    judged: Judged = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or not parts[2].lstrip("-").isdigit():
                continue  # a header or a blank line
            judged.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return judged


def chunk_content(chunk: dict[str, Any]) -> str:
    """The text a peer's keyword index sees: title and body, as trawl indexes both."""
    title = (chunk.get("title") or "").strip()
    text = chunk.get("text") or ""
    return f"{title}\n{text}" if title else text


def load_export(directory: Path, with_corpus: bool) -> Export:
    """Read an export; the corpus (chunks and their vectors) only when asked."""
    m = read_manifest(directory)
    dim = int(m["dim"])
    chunk_ids: list[int] = []
    doc_ids: list[str] = []
    contents: list[str] = []
    vectors = np.zeros((0, dim), dtype=np.float32)
    if with_corpus:
        for c in read_jsonl(directory / m["chunks_file"]):
            chunk_ids.append(int(c["chunk_id"]))
            doc_ids.append(str(c["doc_id"]))
            contents.append(chunk_content(c))
        vectors = read_matrix(directory / m["vectors_file"], dim)
        if len(vectors) != len(chunk_ids):
            raise ValueError(f"{len(vectors)} vectors for {len(chunk_ids)} chunks")
    queries = read_jsonl(directory / m["queries_file"])
    query_vectors = read_matrix(directory / m["query_vectors_file"], dim)
    if len(query_vectors) != len(queries):
        raise ValueError(f"{len(query_vectors)} query vectors for {len(queries)} queries")
    return Export(
        directory=directory,
        chunk_ids=chunk_ids,
        doc_ids=doc_ids,
        contents=contents,
        vectors=vectors,
        query_ids=[str(q["_id"]) for q in queries],
        query_texts=[str(q["text"]) for q in queries],
        query_vectors=query_vectors,
        qrels=read_qrels(directory / m["qrels_file"]),
    )


def read_chunk_docs(directory: Path) -> dict[int, str]:
    """chunk id → document id, to turn chunk hits into document rankings."""
    m = read_manifest(directory)
    return {int(c["chunk_id"]): str(c["doc_id"]) for c in read_jsonl(directory / m["chunks_file"])}


# ------------------------------------------------------------------ metrics


def ndcg_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains, as `trawl eval` (and BEIR's pytrec_eval) compute it."""
    dcg = sum(max(judged.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def documents_of(chunk_hits: list[int], chunk_docs: dict[int, str]) -> list[str]:
    """Documents in the order of their best chunk."""
    seen: dict[str, None] = {}
    for c in chunk_hits:
        seen.setdefault(chunk_docs[c], None)
    return list(seen)


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest rank on a sorted list, as trawl's bench computes it."""
    if not sorted_ms:
        return 0.0
    return sorted_ms[round((len(sorted_ms) - 1) * p)]


@dataclass
class Latency:
    n: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    qps: float

    @staticmethod
    def of(ms: list[float]) -> Latency:
        s = sorted(ms)
        mean = sum(s) / len(s) if s else 0.0
        return Latency(
            n=len(s),
            p50_ms=percentile(s, 0.50),
            p95_ms=percentile(s, 0.95),
            p99_ms=percentile(s, 0.99),
            mean_ms=mean,
            qps=1000.0 / mean if mean > 0 else 0.0,
        )


def rss_mb() -> float:
    """Resident set size of this process now, from /proc."""
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ------------------------------------------------------------------ engines


class Searcher(Protocol):
    """An opened peer store: ranked chunk ids for one query in one mode."""

    modes: tuple[str, ...]

    def search(self, mode: str, text: str, vector: np.ndarray, k: int) -> list[int]: ...


def lance_build(export: Export, store: Path, ann: bool) -> None:
    import lancedb
    import pyarrow as pa
    from lancedb.index import FTS, HnswSq

    dim = export.vectors.shape[1]
    table = pa.table(
        {
            "chunk_id": pa.array(export.chunk_ids, pa.int64()),
            "doc_id": pa.array(export.doc_ids, pa.string()),
            "content": pa.array(export.contents, pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(
                pa.array(export.vectors.ravel(), pa.float32()), dim
            ),
        }
    )
    db = lancedb.connect(str(store))
    tbl = db.create_table(LANCE_TABLE, table, mode="overwrite")
    # LanceDB's native FTS with its default English analyzer (stemming, stop words).
    tbl.create_index("content", config=FTS())
    if ann:
        tbl.create_index("vector", config=HnswSq(distance_type="cosine"))


class LanceSearcher:
    modes: tuple[str, ...] = ("keyword", "vector", "hybrid")

    def __init__(self, store: Path) -> None:
        import lancedb
        from lancedb.rerankers import RRFReranker

        self.table = lancedb.connect(str(store)).open_table(LANCE_TABLE)
        self.rrf = RRFReranker()

    def search(self, mode: str, text: str, vector: np.ndarray, k: int) -> list[int]:
        from lancedb.query import LanceHybridQueryBuilder, LanceVectorQueryBuilder

        t = self.table
        if mode == "keyword":
            q = t.search(text, query_type="fts")
        elif mode == "vector":
            vq = t.search(vector, vector_column_name="vector")
            q = cast(LanceVectorQueryBuilder, vq).distance_type("cosine")
        else:
            hq = t.search(query_type="hybrid", vector_column_name="vector")
            q = (
                cast(LanceHybridQueryBuilder, hq)
                .vector(vector)
                .text(text)
                .distance_type("cosine")
                .rerank(self.rrf)
            )
        ids: list[int] = q.limit(k).select(["chunk_id"]).to_arrow().column("chunk_id").to_pylist()
        return ids


def chroma_client(store: Path) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(path=str(store), settings=Settings(anonymized_telemetry=False))


def chroma_build(export: Export, store: Path) -> None:
    client = chroma_client(store)
    # No embedding function: Chroma must not load (or download) a model of its own.
    col = client.create_collection(
        CHROMA_COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    batch = client.get_max_batch_size()
    for start in range(0, len(export.chunk_ids), batch):
        end = start + batch
        col.add(
            ids=[str(c) for c in export.chunk_ids[start:end]],
            embeddings=export.vectors[start:end],
            documents=export.contents[start:end],
            metadatas=[{"doc_id": d} for d in export.doc_ids[start:end]],
        )


class ChromaSearcher:
    modes: tuple[str, ...] = ("vector",)

    def __init__(self, store: Path) -> None:
        self.collection = chroma_client(store).get_collection(
            CHROMA_COLLECTION, embedding_function=None
        )

    def search(self, mode: str, text: str, vector: np.ndarray, k: int) -> list[int]:
        r = self.collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [int(i) for i in r["ids"][0]]


def open_searcher(engine: str, store: Path) -> Searcher:
    if engine.startswith("lancedb"):
        return LanceSearcher(store)
    return ChromaSearcher(store)


def import_engine(engine: str) -> None:
    """Import a peer's library, so the memory baseline includes its code."""
    if engine.startswith("lancedb"):
        import lancedb  # noqa: F401
    else:
        import chromadb  # noqa: F401


# ------------------------------------------------------------------ subprocess phases


def cmd_build(args: argparse.Namespace) -> dict[str, Any]:
    export = load_export(args.export, with_corpus=True)
    if args.store.exists():
        shutil.rmtree(args.store)
    args.store.mkdir(parents=True)
    t = time.perf_counter()
    if args.engine.startswith("lancedb"):
        lance_build(export, args.store, ann=args.engine == "lancedb-hnsw")
    else:
        chroma_build(export, args.store)
    seconds = time.perf_counter() - t
    return {
        "chunks": len(export.chunk_ids),
        "ingest_s": seconds,
        "chunks_per_s": len(export.chunk_ids) / seconds if seconds > 0 else 0.0,
        "disk_bytes": dir_bytes(args.store),
    }


def time_mode(
    searcher: Searcher, mode: str, k: int, texts: list[str], vectors: np.ndarray
) -> tuple[list[float], list[list[int]]]:
    """One client, sequential: each query's latency in ms and its chunk hits.

    Each query runs once untimed right before its timed run, as in trawl's
    bench, where a query's search-only run follows the same query's full run:
    both sides are timed under the same (warm) conditions.
    """
    ms: list[float] = []
    hits: list[list[int]] = []
    for text, vector in zip(texts, vectors, strict=True):
        searcher.search(mode, text, vector, k)
        t = time.perf_counter()
        found = searcher.search(mode, text, vector, k)
        ms.append((time.perf_counter() - t) * 1e3)
        hits.append(found)
    return ms, hits


def cmd_query(args: argparse.Namespace) -> dict[str, Any]:
    export = load_export(args.export, with_corpus=False)
    chunk_docs = read_chunk_docs(args.export)
    n = len(export.query_ids) if args.queries is None else min(args.queries, len(export.query_ids))
    texts = export.query_texts[:n]
    vectors = export.query_vectors[:n]
    import_engine(args.engine)
    baseline = rss_mb()
    searcher = open_searcher(args.engine, args.store)
    rss_open = rss_mb()
    modes: dict[str, Any] = {}
    for mode in searcher.modes:
        ms, hits = time_mode(searcher, mode, args.k, texts, vectors)
        scores = [
            ndcg_at(documents_of(h, chunk_docs), export.qrels.get(qid, {}))
            for qid, h in zip(export.query_ids[:n], hits, strict=True)
        ]
        docs_returned = [len(documents_of(h, chunk_docs)) for h in hits]
        modes[mode] = {
            "latency": asdict(Latency.of(ms)),
            "ndcg@10": sum(scores) / len(scores),
            "min_documents_returned": min(docs_returned),
        }
    rss_after = rss_mb()
    return {
        "queries": n,
        "k_chunks": args.k,
        "modes": modes,
        "memory": {
            "baseline_rss_mb": baseline,
            "rss_after_open_mb": rss_open,
            "rss_after_queries_mb": rss_after,
            "growth_mb": rss_after - baseline,
            "peak_rss_mb": peak_rss_mb(),
        },
    }


# ------------------------------------------------------------------ orchestration


@dataclass
class Row:
    engine: str
    mode: str
    ndcg10: float | None
    p50_ms: float | None
    p99_ms: float | None
    qps: float | None
    memory_mb: float | None
    disk_mb: float | None
    notes: list[str] = field(default_factory=list)


def run_json(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command that prints one JSON document; its stderr passes through."""
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=env, text=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def peer_phase(args: argparse.Namespace, phase: str, engine: str, store: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        phase,
        "--engine",
        engine,
        "--export",
        str(args.export),
        "--store",
        str(store),
        "--k",
        str(args.k),
    ]
    if args.queries is not None:
        cmd += ["--queries", str(args.queries)]
    return run_json(cmd)


def trawl_export(args: argparse.Namespace) -> None:
    cmd = [args.trawl_bin, "bench", "export", "--dataset", str(args.dataset)]
    if args.split:
        cmd += ["--split", args.split]
    cmd += ["--out", str(args.export)]
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def trawl_figures(args: argparse.Namespace, queries: int) -> dict[str, Any]:
    split = ["--split", args.split] if args.split else []
    env = dict(os.environ)
    if args.trawl_threads is not None:
        env["TRAWL_THREADS"] = str(args.trawl_threads)
    bench = run_json(
        [
            args.trawl_bin,
            "bench",
            "search",
            "--dataset",
            str(args.dataset),
            *split,
            "--json",
            "--queries",
            str(queries),
            "--concurrency",
            "1",
            "--seconds",
            str(args.trawl_seconds),
            "--ceiling-chunks",
            "32",
        ],
        env,
    )
    limit = ["--limit", str(queries)]
    evals = run_json(
        [args.trawl_bin, "eval", "--dataset", str(args.dataset), *split, *limit, "--json"], env
    )
    rrf = run_json(
        [
            args.trawl_bin,
            "eval",
            "--dataset",
            str(args.dataset),
            *split,
            *limit,
            "--json",
            "--fusion",
            "rrf",
        ],
        env,
    )
    return {"bench_search": bench, "eval": evals, "eval_rrf": rrf}


def trawl_rows(t: dict[str, Any]) -> list[Row]:
    bench, evals = t["bench_search"], t["eval"]
    mem = (bench.get("server_memory_after_load") or bench.get("server_memory_idle") or {}).get(
        "rss_mb"
    )
    disk = bench["index_bytes"] / 2**20
    rows = []
    for mode in ("keyword", "vector", "hybrid"):
        lat = bench["latency_search_only"][mode]
        rows.append(
            Row(
                "trawl",
                mode,
                evals[mode]["ndcg@10"],
                lat["p50_ms"],
                lat["p99_ms"],
                1000.0 / lat["mean_ms"],
                mem,
                disk,
            )
        )
    rows.append(
        Row(
            "trawl",
            "hybrid (rrf)",
            t["eval_rrf"]["hybrid"]["ndcg@10"],
            None,
            None,
            None,
            None,
            None,
            ["nDCG only: trawl's hybrid with RRF fusion, like LanceDB's"],
        )
    )
    return rows


def peer_rows(engine: str, built: dict[str, Any], queried: dict[str, Any]) -> list[Row]:
    rows = []
    for mode, m in queried["modes"].items():
        lat = m["latency"]
        rows.append(
            Row(
                engine,
                mode,
                m["ndcg@10"],
                lat["p50_ms"],
                lat["p99_ms"],
                lat["qps"],
                queried["memory"]["growth_mb"],
                built["disk_bytes"] / 2**20,
            )
        )
    return rows


ENGINE_NAMES = {
    "trawl": "trawl",
    "lancedb": "LanceDB",
    "lancedb-hnsw": "LanceDB+HNSW",
    "chroma": "Chroma",
}
PEER_MODE_NAMES = {("lancedb", "keyword"): "FTS", ("lancedb-hnsw", "keyword"): "FTS"}
# trawl mode ↔ peer mode compared in the ratio lines.
PAIRS = (
    ("hybrid", "lancedb", "hybrid"),
    ("hybrid", "lancedb-hnsw", "hybrid"),
    ("keyword", "lancedb", "keyword"),
    ("vector", "lancedb", "vector"),
    ("vector", "lancedb-hnsw", "vector"),
    ("vector", "chroma", "vector"),
)


def fmt(x: float | None, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def table(rows: list[Row]) -> str:
    head = ("engine", "mode", "nDCG@10", "p50 ms", "p99 ms", "QPS", "RSS MB", "disk MB")
    body = [
        (
            ENGINE_NAMES[r.engine],
            r.mode,
            fmt(r.ndcg10, ".4f"),
            fmt(r.p50_ms, ".2f"),
            fmt(r.p99_ms, ".2f"),
            fmt(r.qps, ".0f"),
            fmt(r.memory_mb, ".0f"),
            fmt(r.disk_mb, ".1f"),
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]
    lines = [
        "  ".join(
            str(c).ljust(w) if i < 2 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        for cells in (head, *body)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratios(rows: list[Row]) -> list[dict[str, Any]]:
    find = {(r.engine, r.mode): r for r in rows}
    out = []
    for trawl_mode, engine, mode in PAIRS:
        t, p = find.get(("trawl", trawl_mode)), find.get((engine, mode))
        if t is None or p is None:
            continue
        out.append(
            {
                "trawl_mode": trawl_mode,
                "peer": engine,
                "peer_mode": mode,
                "qps_ratio": t.qps / p.qps if t.qps and p.qps else None,
                "p50_ratio_peer_over_trawl": p.p50_ms / t.p50_ms if t.p50_ms and p.p50_ms else None,
                "p99_ratio_peer_over_trawl": p.p99_ms / t.p99_ms if t.p99_ms and p.p99_ms else None,
                "memory_ratio_peer_over_trawl": p.memory_mb / t.memory_mb
                if t.memory_mb and p.memory_mb
                else None,
                "ndcg10_delta": t.ndcg10 - p.ndcg10
                if t.ndcg10 is not None and p.ndcg10 is not None
                else None,
            }
        )
    return out


def ratio_line(r: dict[str, Any]) -> str:
    mode = PEER_MODE_NAMES.get((r["peer"], r["peer_mode"]), r["peer_mode"])
    peer = f"{ENGINE_NAMES[r['peer']]} {mode}"
    return (
        f"trawl {r['trawl_mode']} vs {peer}: {fmt(r['qps_ratio'], '.2f')}× its QPS; "
        f"its p50 is {fmt(r['p50_ratio_peer_over_trawl'], '.2f')}× trawl's, "
        f"its p99 {fmt(r['p99_ratio_peer_over_trawl'], '.2f')}× trawl's; "
        f"nDCG@10 {fmt(r['ndcg10_delta'], '+.4f')} for trawl; "
        f"its RSS growth is {fmt(r['memory_ratio_peer_over_trawl'], '.2f')}× trawl's whole RSS"
    )


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_avg_1_5_15": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("lancedb", "chromadb", "pyarrow", "numpy")}


def trawl_version(trawl_bin: str) -> str:
    out = subprocess.run([trawl_bin, "--version"], check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.strip()


def cmd_run(args: argparse.Namespace) -> dict[str, Any]:
    if not Path(args.trawl_bin).is_file():
        sys.exit(
            f"trawl binary not found at {args.trawl_bin}: "
            "run `cargo build --release` or set TRAWL_BIN"
        )
    work = args.work or default_work(args.dataset, args.split)
    args.export = work / "export"
    started = machine()
    trawl_export(args)
    queries = len(read_jsonl(args.export / read_manifest(args.export)["queries_file"]))
    if args.queries is not None:
        queries = min(queries, args.queries)
    peers: dict[str, Any] = {}
    rows: list[Row] = []
    for engine in args.engines:
        store = work / engine
        built = peer_phase(args, "build", engine, store)
        queried = peer_phase(args, "query", engine, store)
        peers[engine] = {"build": built, "query": queried}
        rows += peer_rows(engine, built, queried)
    trawl = trawl_figures(args, queries)
    rows = trawl_rows(trawl) + rows
    report = {
        "machine": started,
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "versions": {**versions(), "trawl": trawl_version(args.trawl_bin)},
        "dataset": str(args.dataset),
        "split": args.split,
        "queries": queries,
        "k_chunks": args.k,
        "trawl_threads": args.trawl_threads,
        "rows": [asdict(r) for r in rows],
        "ratios": ratios(rows),
        "peers": peers,
        "trawl": trawl,
    }
    return report


def default_work(dataset: Path, split: str | None) -> Path:
    home = Path(os.environ.get("TRAWL_HOME") or Path.home() / ".cache" / "trawl")
    return home / "peers" / f"{dataset.resolve().name}-{split or 'default'}"


def print_report(report: dict[str, Any], rows: list[Row]) -> None:
    m = report["machine"]
    print(
        f"{report['dataset']} split={report['split']}: {report['queries']} queries, "
        f"top {report['k_chunks']} chunks per query, one client, query embedding excluded"
    )
    if report["trawl_threads"] is not None:
        print(f"trawl run with TRAWL_THREADS={report['trawl_threads']}")
    print(
        f"{m['date_utc']}, {m['cpus']} CPUs, "
        f"load {m['load_avg_1_5_15']} → {report['load_avg_at_end']}"
    )
    print()
    print(table(rows))
    print()
    for r in report["ratios"]:
        print(ratio_line(r))
    print()
    print(
        "QPS = 1 / mean latency of one sequential client. RSS: trawl = whole `trawl serve` process"
    )
    print("after load (model included); peers = growth of the Python process over its baseline")
    print("after importing the engine (interpreter and libraries excluded).")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="the whole comparison")
    run.add_argument(
        "--dataset",
        type=Path,
        default=DEFAULT_DATASET,
        help="BEIR dataset folder (default: %(default)s)",
    )
    run.add_argument("--split", default="train", help="judgments to use (default: %(default)s)")
    run.add_argument(
        "--trawl-bin",
        default=os.environ.get("TRAWL_BIN") or str(REPO / "target" / "release" / "trawl"),
        help="trawl binary (default: $TRAWL_BIN, else %(default)s)",
    )
    run.add_argument(
        "--work", type=Path, help="work folder (default: $TRAWL_HOME/peers/DATASET-SPLIT)"
    )
    run.add_argument(
        "--engines",
        nargs="+",
        choices=PEERS,
        default=list(PEERS),
        help="peers to run (default: all); lancedb searches vectors exactly, "
        "lancedb-hnsw with an IVF_HNSW_SQ index",
    )
    run.add_argument(
        "--trawl-seconds", type=float, default=5.0, help="seconds of trawl's HTTP run (JSON only)"
    )
    run.add_argument(
        "--trawl-threads",
        type=int,
        help="TRAWL_THREADS for trawl's commands: embedding threads (default: trawl's, all cores)",
    )
    run.add_argument(
        "--json", action="store_true", help="print the report as JSON instead of the table"
    )
    run.add_argument("--out", type=Path, help="also write the JSON report to this file")

    for name in ("build", "query"):
        s = sub.add_parser(name, help=f"one peer's {name} phase (used by run)")
        s.add_argument("--engine", choices=PEERS, required=True)
        s.add_argument("--export", type=Path, required=True)
        s.add_argument("--store", type=Path, required=True)

    for s in (run, sub.choices["build"], sub.choices["query"]):
        s.add_argument(
            "--k",
            type=int,
            default=100,
            help="chunks asked of each engine per query (default: %(default)s)",
        )
        s.add_argument("--queries", type=int, help="use the first N queries (default: all)")
    return p.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    # LanceDB 0.40 logs a deprecation warning on stderr for every query that
    # selects columns; writing those would be timed as part of its latency.
    os.environ.setdefault("LANCEDB_LOG", "error")
    if args.command in ("build", "query"):
        result = cmd_build(args) if args.command == "build" else cmd_query(args)
        json.dump(result, sys.stdout)
        return
    report = cmd_run(args)
    rows = [Row(**r) for r in report["rows"]]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report, rows)


if __name__ == "__main__":
    main(sys.argv[1:])
