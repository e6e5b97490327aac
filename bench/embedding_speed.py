"""MiniLM encoder backends: torch + sentence-transformers against ONNX Runtime, in one process.

    python bench/embedding_speed.py [--texts 2000] [--rounds 2] [--one 200]

Embeds the first ``--texts`` Banking77 train texts with both backends, alternating, ``--rounds``
times each with two threads (a training worker's setting), then times one text per call with one
thread (the API's setting, ``set_inference_threads(1)``), alternating text by text. Reports texts
per wall second, CPU seconds, one-text latency, how far apart the two backends' vectors are, and
the load average (the machine is shared). Exports MiniLM to ONNX first if this machine has not.
Writes the "MiniLM encoder backends" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import datetime, timezone
from typing import Any

import numpy as np
from _common import banking77, percentile, write_section

from u22a8 import engine
from u22a8.engine import embeddings, static_embeddings
from u22a8.engine.embeddings import MINILM_COSTS


def _minilm(backend: str) -> Any:
    """A fresh MiniLM loaded on ``backend`` (torch: as on a machine without the exported file)."""
    minilm = embeddings.MiniLM()
    if backend == "torch":
        before = static_embeddings._models_dir
        with tempfile.TemporaryDirectory() as empty:
            static_embeddings.set_models_dir(empty)
            try:
                minilm.encode(["warm up"])
            finally:
                static_embeddings.set_models_dir(before)
    else:
        minilm.encode(["warm up"])
    assert minilm.backend == backend, (minilm.backend, backend)
    return minilm


def _bulk(minilm: Any, texts: list[str]) -> tuple[np.ndarray, float, float]:
    t, c = time.perf_counter(), time.process_time()
    vecs = minilm.encode(texts)
    return vecs, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--one", type=int, default=200, help="texts timed one per call")
    args = ap.parse_args()
    texts = [r["text"] for r in banking77("train")][: args.texts]
    if engine.onnx_missing() is not None:
        print("exporting MiniLM to ONNX:", engine.prepare_onnx())
    load_before = os.getloadavg()
    started = datetime.now(timezone.utc)

    # Two threads: torch's intra-op threads, ONNX Runtime's batches at once.
    embeddings.set_inference_threads(None)
    bulk: dict[str, list[tuple[float, float]]] = {"torch": [], "onnx": []}
    models = {b: _minilm(b) for b in bulk}
    vecs: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for backend, minilm in models.items():
            vecs[backend], wall, cpu = _bulk(minilm, texts)
            bulk[backend].append((wall, cpu))
            print(f"{backend}: {len(texts) / wall:.0f} texts/s, {cpu:.1f} CPU s (load {os.getloadavg()[0]:.1f})")
    diff = float(np.abs(vecs["onnx"] - vecs["torch"]).max())
    cosine = float((vecs["onnx"] * vecs["torch"]).sum(axis=1).min())

    # One text per call, one thread, as the API process predicts.
    embeddings.set_inference_threads(1)
    single = {b: _minilm(b) for b in bulk}
    latency: dict[str, list[float]] = {b: [] for b in bulk}
    for text in texts[: args.one]:
        for backend, minilm in single.items():
            t = time.perf_counter()
            minilm.encode([text])
            latency[backend].append(time.perf_counter() - t)
    load_after = os.getloadavg()

    def rate(backend: str) -> float:  # median round
        return float(np.median([len(texts) / w for w, _ in bulk[backend]]))

    def cpu(backend: str) -> float:
        return float(np.median([c for _, c in bulk[backend]]))

    rows = []
    for backend, label in (("torch", "torch + sentence-transformers"), ("onnx", "ONNX Runtime")):
        rounds = ", ".join(f"{len(texts) / w:.0f}" for w, _ in bulk[backend])
        lat = latency[backend]
        rows.append(f"| {label} | {rate(backend):.0f} ({rounds}) | {cpu(backend):.1f} | "
                    f"{1e3 * percentile(lat, 50):.1f} ms | {1e3 * percentile(lat, 90):.1f} ms |")
    body = f"""## MiniLM encoder backends
`python bench/embedding_speed.py --texts {len(texts)} --rounds {args.rounds} --one {args.one}` on
{started:%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, onnxruntime {_version("onnxruntime")},
torch {_version("torch")}; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min).

| backend | texts / wall s, 2 threads (rounds) | CPU s for {len(texts)} texts | one text, 1 thread, p50 | p90 |
|---|---|---|---|---|
{chr(10).join(rows)}

The first {len(texts)} Banking77 train texts, both backends in one process, alternating. ONNX
Runtime: **{rate("onnx") / rate("torch"):.1f}x** the texts per wall second, **{cpu("torch") / cpu("onnx"):.1f}x** less
CPU, one-text latency {percentile(latency["torch"], 50) / percentile(latency["onnx"], 50):.1f}x lower (p50). Vectors: largest difference per
component {diff:.1g}, lowest cosine {cosine:.7f} (the feature cache keeps one version for both).

The cost model (`engine/embeddings.py: MINILM_COSTS`) keeps torch's 2.7e-3 s per text from a
quiet machine and counts ONNX Runtime at {MINILM_COSTS["onnx"][1]:.1e} (a {MINILM_COSTS["torch"][1] / MINILM_COSTS["onnx"][1]:.1f}x speed-up, below the ratio
measured here: torch's two threads lose most when the machine is busy) and {MINILM_COSTS["onnx"][0]:.0f} s to load against 6.
"""
    print(body)
    write_section("minilm-backends", body)


def _version(module: str) -> str:
    from importlib.metadata import version

    try:
        return version(module)
    except Exception:
        return "?"


if __name__ == "__main__":
    main()
