#!/usr/bin/env python3
"""Build trawl's scale dataset: SciFact plus a large body of real technical
documentation as distractors, in BEIR layout.

The documentation comes from five Debian packages, fetched with `apt-get
download` (no installation, no root needed to unpack):
  linux-doc-6.1      Linux kernel documentation (GPL-2.0)
  python3.11-doc     Python 3.11 documentation (PSF-2.0)
  postgresql-doc-15  PostgreSQL 15 documentation (PostgreSQL licence)
  python-django-doc  Django 3.2 documentation (BSD-3-Clause)
  nodejs-doc         Node.js 18 API documentation (MIT)
Each HTML page becomes one document (`_id` = "kb:" + its path inside the
package); trawl splits it into chunks when indexing. SciFact's corpus,
queries and judgments are copied unchanged, so `trawl eval` on the result
measures SciFact quality with ~100k distractor chunks, and `trawl bench
search` measures latency at that size.

Usage: build.py --scifact ../shared/eval/scifact --out $TRAWL_HOME/scale/scifact-kb
Standard library only. Re-running reuses the downloads.
"""

from __future__ import annotations

import argparse
import hashlib
import html.parser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = ["linux-doc-6.1", "python3.11-doc", "postgresql-doc-15", "python-django-doc", "nodejs-doc"]
SKIP_TAGS = {"script", "style", "nav", "header", "footer", "head"}
BLOCK_TAGS = {"p", "div", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dt", "dd", "br", "section"}
MIN_CHARS = 200


class TextExtractor(html.parser.HTMLParser):
    """Visible text of a page, one line per block, and its <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.in_title = False
        self.title = ""
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self.skip += 1
        if tag == "title":
            self.in_title = True
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1
        if tag == "title":
            self.in_title = False
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skip:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(name: str, debs: Path) -> None:
    """`apt-get download NAME`; stale package lists (a 404 once the archive
    moved on to a newer version) are refreshed once, when running as root."""
    if subprocess.run(["apt-get", "download", name], cwd=debs).returncode == 0:
        return
    if os.geteuid() == 0:
        print(f"apt-get download {name} failed; refreshing the package lists and retrying", file=sys.stderr)
        subprocess.run(["apt-get", "update"], check=True)
        if subprocess.run(["apt-get", "download", name], cwd=debs).returncode == 0:
            return
    sys.exit(
        f"error: could not download the Debian package {name} (see apt-get's message above); "
        "run `sudo apt-get update` if the package lists are stale, or put the .deb in "
        f"{debs} by hand"
    )


def fetch(work: Path) -> list[dict[str, str]]:
    """Downloads and unpacks the packages into work/; returns what was used."""
    debs = work / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    used = []
    for name in PACKAGES:
        found = sorted(debs.glob(f"{name}_*.deb"))
        if not found:
            download(name, debs)
            found = sorted(debs.glob(f"{name}_*.deb"))
        deb = found[-1]
        root = work / "unpacked" / name
        if not root.is_dir():
            partial = root.with_name(root.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], check=True)
            partial.rename(root)
        used.append({"package": name, "file": deb.name, "sha256": sha256(deb)})
    return used


def pages(work: Path):
    for name in PACKAGES:
        root = work / "unpacked" / name
        for path in sorted(root.rglob("*.html")):
            if "_sources" in path.parts or "genindex" in path.name or "search" == path.stem:
                continue
            yield name, path.relative_to(root), path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scifact", type=Path, required=True, help="BEIR SciFact folder (corpus.jsonl, queries.jsonl, qrels/)")
    ap.add_argument("--out", type=Path, required=True, help="output dataset folder")
    ap.add_argument("--work", type=Path, help="download/unpack folder [default: OUT/../scale-work]")
    args = ap.parse_args()

    work = args.work or args.out.parent / "scale-work"
    used = fetch(work)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "qrels").mkdir(exist_ok=True)
    for split in (args.scifact / "qrels").glob("*.tsv"):
        shutil.copy(split, args.out / "qrels" / split.name)
    shutil.copy(args.scifact / "queries.jsonl", args.out / "queries.jsonl")

    docs = chars = 0
    with (args.out / "corpus.jsonl").open("w", encoding="utf-8") as out:
        with (args.scifact / "corpus.jsonl").open(encoding="utf-8") as scifact:
            for line in scifact:
                if line.strip():
                    out.write(line if line.endswith("\n") else line + "\n")
                    docs += 1
        for package, rel, path in pages(work):
            parser = TextExtractor()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            text = parser.text()
            if len(text) < MIN_CHARS:
                continue
            record = {"_id": f"kb:{package}/{rel}", "title": " ".join(parser.title.split()), "text": text}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            docs += 1
            chars += len(text)
    manifest = {"packages": used, "documents": docs, "documentation_chars": chars, "scifact": str(args.scifact)}
    (args.out / "SOURCES.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{docs} documents ({chars / 1e6:.1f} M characters of documentation) in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
