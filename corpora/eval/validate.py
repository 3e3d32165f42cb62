#!/usr/bin/env python3
"""Sanity-check the eval set: qrels paths exist under corpus_dir, query ids match."""
import csv, json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
ds = json.load(open(os.path.join(here, "dataset.json")))
corpus = os.path.normpath(os.path.join(here, ds["corpus_dir"]))

def load_ids(name):
    ids = []
    with open(os.path.join(here, name)) as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                assert set(o) == {"_id", "text"} and o["text"].strip(), o
                ids.append(o["_id"])
    assert len(ids) == len(set(ids)), f"duplicate ids in {name}"
    return ids

qids = load_ids("queries.jsonl")
uids = load_ids("unanswerable.jsonl")
errors = []
if set(qids) & set(uids):
    errors.append(f"ids in both queries and unanswerable: {set(qids) & set(uids)}")

judged, pairs = set(), set()
# one file per split: qrels/test.tsv (the 70 q-queries), qrels/plain.tsv (the 30 p-queries)
for split in sorted(os.listdir(os.path.join(here, "qrels"))):
    with open(os.path.join(here, "qrels", split), newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    if rows[0] != ["query-id", "corpus-id", "score"]:
        errors.append(f"{split}: bad header {rows[0]}")
    for n, r in enumerate(rows[1:], 2):
        if len(r) != 3:
            errors.append(f"{split} line {n}: {r}"); continue
        q, d, s = r
        if q not in qids: errors.append(f"{split} line {n}: unknown query {q}")
        if q in uids: errors.append(f"{split} line {n}: unanswerable query {q} in qrels")
        if s not in ("1", "2"): errors.append(f"{split} line {n}: bad score {s}")
        if not os.path.isfile(os.path.join(corpus, d)): errors.append(f"{split} line {n}: missing file {d}")
        # case-sensitive check even on case-insensitive filesystems
        parent, base = os.path.split(os.path.join(corpus, d))
        if os.path.isdir(parent) and base not in os.listdir(parent): errors.append(f"{split} line {n}: case mismatch {d}")
        if (q, d) in pairs: errors.append(f"{split} line {n}: duplicate pair {q} {d}")
        pairs.add((q, d)); judged.add(q)
for q in qids:
    if q not in judged: errors.append(f"query {q} has no judgments")

# small-folders.json (written by small_folders.py): eight judged pages and questions of one split
for f in json.load(open(os.path.join(here, "small-folders.json"))):
    docs, qs = f["documents"], f["queries"]
    if len(set(docs)) != 8: errors.append(f"small folder {f['name']}: {len(set(docs))} pages, not 8")
    for d in docs:
        if not os.path.isfile(os.path.join(corpus, d)): errors.append(f"small folder {f['name']}: missing file {d}")
    for q in qs:
        if not any((q, d) in pairs for d in docs): errors.append(f"small folder {f['name']}: {q} judges none of its pages")

print(f"{len(qids)} queries, {len(uids)} unanswerable, {len(pairs)} judgments, "
      f"{len({d for _, d in pairs})} distinct docs")
if errors:
    print("\n".join(errors)); sys.exit(1)
print("OK")
