"""One text in-process on a Banking77 ensemble with a kNN member: the pruned neighbour search
against one product with every training row, and the linear member alone, in turns.

    python bench/knn_one_text.py [--rounds 10] [-n 300]

Builds what the low search picks when kNN joins (SVM on word 1-2 + char 2-5 n-grams, weight
0.6; kNN k=10 on the static vectors, weight 0.4) on train.csv, through the engine (no server),
stores and loads it as a version would be, then times ``predict([text])`` for each setup in
blocks of n calls, the setups in turns (so a change of the machine's load meets all alike).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from _common import banking77, percentile, write_section

ONE = "I still have not received my new card, what should I do?"


def build() -> Any:
    from u22a8 import engine
    from u22a8.engine import get_family, get_task
    from u22a8.engine.embeddings import get_embedder
    from u22a8.engine.features import TextFeatures
    from u22a8.engine.predictor import Member, Predictor

    rows = banking77("train")
    texts, task = [r["text"] for r in rows], get_task("classify")
    labels, y = task.encode([r["label"] for r in rows])
    members = []
    for features, family, weight, temperature in (
            ({"word_ngrams": (1, 2), "char_ngrams": (2, 5)}, "svm", 0.6, 0.5),
            ({"word_ngrams": None, "char_ngrams": None, "embed": "minilm-static", "embed_weight": 1.0}, "knn", 0.4, 1.3)):
        tf = TextFeatures(**features)
        if tf.embed:
            tf.embedder = get_embedder(tf.embed)
        head = get_family(family).make_head(task, get_family(family).default_model())
        head.fit(tf.fit(texts).transform(texts), y)
        members.append(Member(tf, head, weight, temperature))
    artifact = engine.dump_predictor(Predictor("classify", labels, members))
    return lambda: engine.load_predictor(artifact, engine.artifact_checksum(artifact))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("-n", type=int, default=300, help="one-text calls per setup and round")
    args = ap.parse_args()
    threadpool_limits(limits=1, user_api="blas")  # as the API process does
    load = build()
    pruned, full, linear = load(), load(), load()
    full.compile().members[1].index = None  # one text through the product with every row
    linear.members = linear.members[:1]
    linear.members[0].weight = 1.0
    linear.__dict__.pop("_plan")
    setups = {"pruned kNN search (served)": pruned, "kNN by one product with every row": full, "SVM member alone": linear}
    assert pruned.outputs([ONE]).tolist() == full.outputs([ONE]).tolist()
    load0 = os.getloadavg()
    wall: dict[str, list[float]] = {k: [] for k in setups}
    cpu: dict[str, list[float]] = {k: [] for k in setups}
    for _ in range(args.rounds):
        for name, p in setups.items():
            for _ in range(20):
                p.predict([ONE])
            for _ in range(args.n):
                c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
                p.predict([ONE])
                wall[name].append((time.perf_counter_ns() - t0) / 1e6)
                cpu[name].append((time.thread_time_ns() - c0) / 1e6)
    load1 = os.getloadavg()
    lines = ["## One text with a kNN member in-process (Banking77, SVM + kNN on static vectors)",
             f"`python bench/knn_one_text.py --rounds {args.rounds} -n {args.n}` on {time.strftime('%Y-%m-%d %H:%M')} UTC; "
             f"setups in turns, {args.rounds} blocks of {args.n} calls each; load average (1 / 5 / 15 min) "
             f"{load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f} at the start, {load1[0]:.2f} / {load1[1]:.2f} / "
             f"{load1[2]:.2f} at the end ({os.cpu_count()} cores).", "",
             "| setup | p50 | p99 | min | CPU p50 |", "|---|---|---|---|---|"]
    for name in setups:
        w, c = wall[name], cpu[name]
        lines.append(f"| {name} | {percentile(w, 50):.3f} ms | {percentile(w, 99):.3f} ms | {min(w):.3f} ms | "
                     f"{percentile(c, 50):.3f} ms |")
    text = "\n".join(lines)
    print(text)
    write_section("knn-one-text", text)
    print(np.round([percentile(wall[n], 50) for n in setups], 3))


if __name__ == "__main__":
    main()
