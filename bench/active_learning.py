"""Simulated labeling on Banking77: suggestions (what u22a8 would ask to label next) against random picks.

Start from ``--start`` labeled train samples (seeded, stratified), the rest of train.csv is the
pool; each round the arm picks ``--batch`` pool texts, they are "labeled" from the truth, and the
model is searched again at effort low; test accuracy on test.csv after every round.

Arms:
- ``suggest``: :func:`u22a8.engine.suggestions.score_pool` + :func:`select_diverse` on the
  round's predictor, exactly what ``GET /v1/models/{handle}/suggestions`` serves.
- ``margin``: the same uncertainty, top-``batch`` without the diversity step (ablation).
- ``random``: seeded random picks from the pool.

The loop runs in-process at the engine level (search → load the artifact → score the pool), not
over HTTP: the same engine calls the server makes, without the database and the queue in
between, so the 2-core shared machine spends its time on the searches.

    python bench/active_learning.py                     # 5 rounds of 500 from 1,000, seed 0
    python bench/active_learning.py --arms suggest,margin,random --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import banking77, write_section  # noqa: E402


def stratified_start(labels: list[str], n: int, seed: int) -> list[int]:
    """``n`` row indices with each label's share as in ``labels`` (at least one per label)."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, y in enumerate(labels):
        by_label[y].append(i)
    total = len(labels)
    picked: list[int] = []
    for y in sorted(by_label):
        rows = by_label[y]
        k = max(1, int(round(n * len(rows) / total)))
        picked.extend(rng.choice(rows, size=min(k, len(rows)), replace=False).tolist())
    rng.shuffle(picked)
    picked = picked[:n]
    if len(picked) < n:  # rounding per label left a few short: fill up at random
        taken = set(picked)
        rest = [i for i in range(total) if i not in taken]
        picked += rng.choice(rest, size=n - len(picked), replace=False).tolist()
    return sorted(picked)


def pick(arm: str, predictor: Any, pool: list[int], texts: list[str], batch: int, rng: np.random.Generator) -> tuple[list[int], float]:
    from u22a8.engine.suggestions import score_pool, select_diverse

    t0 = time.perf_counter()
    if arm == "random":
        chosen = rng.choice(len(pool), size=min(batch, len(pool)), replace=False).tolist()
        return [pool[i] for i in chosen], time.perf_counter() - t0
    scored = score_pool(predictor, [texts[i] for i in pool])
    if arm == "margin":
        order = np.argsort(-scored.uncertainty, kind="stable")[:batch].tolist()
    else:
        order = select_diverse(scored.uncertainty, scored.vectors, batch)
    return [pool[i] for i in order], time.perf_counter() - t0


def run_arm(arm: str, args: argparse.Namespace, train: list[dict[str, str]], test: list[dict[str, str]],
            cache: Path) -> list[dict[str, Any]]:
    from u22a8 import engine

    texts = [r["text"] for r in train]
    labels = [r["label"] for r in train]
    labeled = stratified_start(labels, args.start, args.seed)
    in_labeled = set(labeled)
    pool = [i for i in range(len(texts)) if i not in in_labeled]
    rng = np.random.default_rng(args.seed + 1)
    x_test, y_test = [r["text"] for r in test], np.array([r["label"] for r in test])
    rounds = []
    for r in range(args.rounds + 1):
        t0 = time.perf_counter()
        data = engine.Dataset("classify", [texts[i] for i in labeled], [labels[i] for i in labeled])
        result = engine.search(data, args.effort, cache_dir=cache, seed=args.seed)
        search_s = time.perf_counter() - t0
        predictor = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
        acc = float(np.mean(np.array([p["label"] for p in predictor.predict(x_test)]) == y_test))
        row = {"arm": arm, "seed": args.seed, "round": r, "labels": len(labeled), "accuracy": acc, "search_s": round(search_s, 1)}
        if r < args.rounds:
            chosen, pick_s = pick(arm, predictor, pool, texts, args.batch, rng)
            taken = set(chosen)
            labeled = sorted(set(labeled) | taken)
            pool = [i for i in pool if i not in taken]
            row["pick_s"] = round(pick_s, 2)
            row["picked_labels"] = len({labels[i] for i in chosen})
        rounds.append(row)
        print(json.dumps(row), flush=True)
    return rounds


def labels_to_reach(rows: list[dict[str, Any]], target: float) -> float | None:
    """Labels at which an arm's accuracy first reaches ``target``, linear between measured rounds."""
    for a, b in zip(rows, rows[1:]):
        if a["accuracy"] >= target:
            return float(a["labels"])
        if b["accuracy"] >= target:
            share = (target - a["accuracy"]) / (b["accuracy"] - a["accuracy"])
            return a["labels"] + share * (b["labels"] - a["labels"])
    return float(rows[0]["labels"]) if rows and rows[0]["accuracy"] >= target else None


def _mean_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    n = min(len(r) for r in runs)
    return [{"labels": runs[0][i]["labels"], "accuracy": float(np.mean([r[i]["accuracy"] for r in runs])),
             "sd": float(np.std([r[i]["accuracy"] for r in runs]))} for i in range(n)]


def report(results: dict[str, dict[int, list[dict[str, Any]]]], args: argparse.Namespace, wall: float) -> str:
    arms = list(results)
    seeds = sorted(next(iter(results.values())))
    means = {a: _mean_rows([results[a][s] for s in seeds]) for a in arms}
    n_rounds = max(len(v) for v in means.values())
    lines = [
        "## Active learning: what to label next vs random picks (`bench/active_learning.py`)",
        f"`python bench/active_learning.py --arms {','.join(arms)} --seeds {','.join(map(str, seeds))} "
        f"--rounds {args.rounds} --batch {args.batch} --start {args.start}` on {time.strftime('%Y-%m-%d')}, "
        f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs (load average at the end "
        f"{os.getloadavg()[0]:.1f}); {wall / 60:.0f} min in all.",
        "",
        f"Banking77: {args.start} labeled train samples to start (stratified by label, per seed), the rest of "
        f"train.csv the pool; each round {args.batch} picks labeled from the truth, then a fresh search at "
        f"effort {args.effort}; accuracy on the whole test.csv (3,080 texts). Engine-level loop in one process "
        "(search → artifact → score the pool with `engine/suggestions.py`, the code the suggestions endpoint "
        "serves), not over HTTP: the same engine calls without the database and queue between them. `suggest` "
        "is what the endpoint answers (margin uncertainty, uncertainty-weighted k-center, no near-duplicates); "
        "`margin` the same uncertainty without the diversity step; `random` seeded random picks.",
        "",
        f"Test accuracy (%), mean ± sd over {len(seeds)} seed(s):",
        "",
        "| round | labels | " + " | ".join(arms) + " |",
        "|---|---|" + "---|" * len(arms),
    ]
    for r in range(n_rounds):
        cells = [f"{100 * means[a][r]['accuracy']:.2f} ± {100 * means[a][r]['sd']:.2f}" if r < len(means[a]) else ""
                 for a in arms]
        lines.append(f"| {r} | {means[arms[0]][r]['labels']} | " + " | ".join(cells) + " |")
    if "random" in results and "suggest" in results:
        lines.append("")
        per_seed = []
        for s in seeds:
            final = results["random"][s][-1]
            need = labels_to_reach(results["suggest"][s], final["accuracy"])
            per_seed.append(None if need is None else 1 - need / final["labels"])
        final = means["random"][-1]
        need = labels_to_reach(means["suggest"], final["accuracy"])
        if need is not None:
            saved = 1 - need / final["labels"]
            verdict = "met" if saved >= 0.30 else "missed"
            lines.append(f"Random picks end at {100 * final['accuracy']:.2f}% (mean) with {final['labels']} labels; "
                         f"suggestions reach that at ≈{need:.0f} labels (linear between measured rounds): "
                         f"**{100 * saved:.0f}% fewer labels** (target ≥ 30%: {verdict}).")
        else:
            lines.append(f"Suggestions did not reach random's final {100 * final['accuracy']:.2f}% within the rounds run.")
        lines.append("Per seed: " + ", ".join(f"seed {s}: " + ("not reached" if v is None else f"{100 * v:.0f}% fewer")
                                              for s, v in zip(seeds, per_seed)) + ".")
    picks = [r.get("pick_s") for runs in results.get("suggest", {}).values() for r in runs if r.get("pick_s") is not None]
    if picks:
        lines += ["", f"Scoring the pool and picking took {max(picks):.1f} s at most in a round (pool of 6.5-9k "
                  "texts, 2 shared cores): the server does this once per version, then answers from its cache."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arms", default="suggest,random")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--start", type=int, default=1000)
    ap.add_argument("--effort", default="low")
    ap.add_argument("--out", type=Path, default=None, help="also write the rounds as JSON here")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    train, test = banking77("train"), banking77("test")
    t0 = time.perf_counter()
    results: dict[str, dict[int, list[dict[str, Any]]]] = {a: {} for a in args.arms.split(",")}
    with tempfile.TemporaryDirectory(prefix="u22a8-al-") as cache:
        for seed in (int(x) for x in args.seeds.split(",")):
            args.seed = seed
            for arm in results:
                results[arm][seed] = run_arm(arm, args, train, test, Path(cache))
                if args.out:
                    args.out.write_text(json.dumps(results, indent=1))
    text = report(results, args, time.perf_counter() - t0)
    print(text)
    if not args.no_write:
        write_section("active-learning", text)


if __name__ == "__main__":
    main()
