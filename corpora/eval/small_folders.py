#!/usr/bin/env python3
"""Write small-folders.json: 27 small folders cut from the blind plain-language splits.

Why: a new team often searches a small folder (eight short HR/IT pages, ten questions), where
the keyword arm's statistics come from eight documents instead of the whole corpus. Each folder
takes one split's questions in a seeded order (seeds 1-3 per split) and keeps a question while
the pages it is judged 2 on (all under hr/ or kb/) still fit in eight, up to ten questions;
a folder short of eight pages is filled with pages the chosen questions are judged 1 on.
Deterministic: the same files give the same folders. `tests/e2e` builds each folder, indexes
it, and gates the arms over all of them (README, "Relevance").
"""
import collections, json, os, random

here = os.path.dirname(os.path.abspath(__file__))
folders = []
for s in range(1, 10):
    split = "plain" if s == 1 else f"plain{s}"
    qrels = collections.defaultdict(dict)
    with open(os.path.join(here, "qrels", f"{split}.tsv")) as f:
        for line in list(f)[1:]:
            q, d, g = line.rstrip("\n").split("\t")
            qrels[q][d] = int(g)
    policy = lambda d: d.split("/")[0] in ("hr", "kb")
    qs = [q for q, ds in qrels.items()
          if any(g == 2 for g in ds.values()) and all(policy(d) for d, g in ds.items() if g == 2)]
    for seed in (1, 2, 3):
        order = list(qs)
        random.Random(seed * 100 + s).shuffle(order)
        docs, chosen = [], []
        for q in order:
            need = [d for d, g in qrels[q].items() if g == 2 and d not in docs]
            if len(docs) + len(need) <= 8 and len(chosen) < 10:
                docs += need
                chosen.append(q)
        for q in chosen:
            for d in qrels[q]:
                if len(docs) < 8 and d not in docs and policy(d):
                    docs.append(d)
        folders.append({"name": f"{split}-s{seed}", "split": split,
                        "documents": docs, "queries": chosen})
with open(os.path.join(here, "small-folders.json"), "w") as f:
    json.dump(folders, f, indent=1)
    f.write("\n")
print(f"{len(folders)} folders, {sum(len(x['queries']) for x in folders)} questions")
