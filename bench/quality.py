"""Model quality per effort on public data, with a plain baseline measured in the same run.

    python bench/quality.py                          # every job below
    python bench/quality.py --efforts low,medium     # a subset of efforts
    python bench/quality.py --only banking           # banking | polite | score

Jobs (each in its own process, so CPU seconds and peak memory are its own):

- Banking77: search on train.csv, accuracy and macro-F1 on test.csv; then a refit of the chosen
  params on the same data with the feature cache warm (the retraining path).
- Politeness, binary: top quartile of ``Normalized Score`` = polite, bottom quartile = impolite,
  the middle dropped; 10-fold stratified CV (seed 0), one search per fold; accuracy.
- Politeness, score: ``Normalized Score``; 10-fold CV (seed 0); Spearman per fold, averaged.

Every search starts with an empty feature cache, so embedding time is included (in CV jobs the
cache is shared across folds of a job, as it would be across retrains of one model). Baseline:
TF-IDF word 1-2 + char_wb 2-5 with LinearSVC(C=0.5) (Ridge(alpha=1) for the score).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("U22A8_BENCH_DATA", ROOT.parent / "shared" / "data"))
EFFORTS = ("low", "medium", "high", "max")
TARGETS = {  # (job, effort) → (metric, minimum, maximum wall seconds or None)
    ("banking", "low"): ("accuracy", 0.915, 20), ("banking", "medium"): ("accuracy", 0.940, 180),
    ("banking", "high"): ("accuracy", 0.945, 600), ("banking", "max"): ("accuracy", 0.950, None),
    ("polite", "high"): ("accuracy", 0.870, None), ("score", "high"): ("spearman", 0.70, None),
}


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def banking(split: str) -> tuple[list[str], list[str]]:
    rows = _rows(f"banking77/{split}.csv")
    return [r["text"] for r in rows], [r["category"] for r in rows]


def politeness() -> tuple[list[str], np.ndarray]:
    rows = _rows("politeness/wikipedia.annotated.csv")
    return [r["Request"] for r in rows], np.array([float(r["Normalized Score"]) for r in rows])


def polite_binary() -> tuple[list[str], list[str]]:
    texts, score = politeness()
    lo, hi = np.quantile(score, [0.25, 0.75])
    keep = [i for i in range(len(texts)) if score[i] <= lo or score[i] >= hi]
    return [texts[i] for i in keep], ["polite" if score[i] >= hi else "impolite" for i in keep]


# -- one job, run in a child process ------------------------------------------------------------
def _baseline_fit(task: str, x_train: list[str], y_train: Any, x_test: list[str]) -> np.ndarray:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.svm import LinearSVC

    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    a = hstack([word.fit_transform(x_train), char.fit_transform(x_train)]).tocsr()
    b = hstack([word.transform(x_test), char.transform(x_test)]).tocsr()
    model = Ridge(alpha=1.0) if task == "score" else LinearSVC(C=0.5)
    return np.asarray(model.fit(a, y_train).predict(b))


def _engine_fit(task: str, effort: str, x_train: list[str], y_train: Any, x_test: list[str],
                cache: Path, info: dict[str, Any]) -> np.ndarray:
    from u22a8 import engine

    data = engine.Dataset(task, x_train, list(y_train))  # type: ignore[arg-type]
    t0 = time.monotonic()
    result = engine.search(data, effort, cache_dir=cache)  # type: ignore[arg-type]
    info.setdefault("search_seconds", []).append(time.monotonic() - t0)
    info.setdefault("trials", []).append(result.trials_done)
    info.setdefault("cv_primary", []).append(result.metrics["primary"])
    info.setdefault("notes", []).extend(n for n in result.report.get("notes", []) if n not in info.get("notes", []))
    info.setdefault("best", []).append(result.metrics.get("search", {}).get("best"))
    mean_chars = float(np.mean([len(t) for t in x_train]))
    labels = len(set(y_train)) if task == "classify" else 0
    info.setdefault("estimate_seconds", []).append(engine.estimate(len(x_train), labels, task, mean_chars)[effort]["seconds"])  # type: ignore[arg-type]
    predictor = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    info["params"] = result.params
    out = predictor.predict(x_test)
    return np.array([o["score"] for o in out]) if task == "score" else np.array([o["label"] for o in out])


def _fit(task: str, effort: str, x_train: list[str], y_train: Any, x_test: list[str], cache: Path,
         info: dict[str, Any]) -> np.ndarray:
    if effort == "baseline":
        t0 = time.monotonic()
        out = _baseline_fit(task, x_train, y_train, x_test)
        info.setdefault("search_seconds", []).append(time.monotonic() - t0)
        return out
    return _engine_fit(task, effort, x_train, y_train, x_test, cache, info)


def _folds(task: str, y: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter: Any = StratifiedKFold(10, shuffle=True, random_state=0) if task == "classify" else KFold(10, shuffle=True, random_state=0)
    return list(splitter.split(np.zeros(len(y)), y))


def run_job(job: str, effort: str) -> dict[str, Any]:
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score

    cache = Path(tempfile.mkdtemp(prefix="u22a8-quality-"))
    info: dict[str, Any] = {}
    t0, cpu0 = time.monotonic(), time.process_time()
    out: dict[str, Any] = {"job": job, "effort": effort}
    if job == "banking":
        x_train, y_train = banking("train")
        x_test, y_test = banking("test")
        pred = _fit("classify", effort, x_train, y_train, x_test, cache, info)
        out["accuracy"] = float(np.mean(pred == np.array(y_test)))
        out["macro_f1"] = float(f1_score(y_test, pred, average="macro"))
        if effort != "baseline":
            from u22a8 import engine

            t1 = time.monotonic()
            engine.refit(engine.Dataset("classify", x_train, y_train), info["params"], cache_dir=cache)
            out["refit_seconds"] = time.monotonic() - t1
    else:
        task = "classify" if job == "polite" else "score"
        texts, target = polite_binary() if job == "polite" else politeness()
        y = np.asarray(target)
        per_fold = []
        for train, test in _folds(task, y):
            pred = _fit(task, effort, [texts[i] for i in train], y[train].tolist(), [texts[i] for i in test], cache, info)
            per_fold.append(float(np.mean(pred == y[test])) if task == "classify" else float(spearmanr(y[test], pred).statistic))
        out["accuracy" if task == "classify" else "spearman"] = float(np.mean(per_fold))
        out["fold_sd"] = float(np.std(per_fold))
    out["wall_seconds"] = time.monotonic() - t0
    out["cpu_seconds"] = time.process_time() - cpu0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for key in ("search_seconds", "estimate_seconds", "trials", "cv_primary"):
        if key in info:
            out[key] = float(np.mean(info[key]))
    out["notes"] = info.get("notes", [])
    out["best"] = (info.get("best") or [None])[0]
    shutil.rmtree(cache, ignore_errors=True)
    return out


# -- the parent: runs jobs, prints, writes RESULTS.md -------------------------------------------
def _spawn(job: str, effort: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--job", f"{job}:{effort}"], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"job": job, "effort": effort, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _row(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"| {r['job']} | {r['effort']} | error: {r['error']} | | | | | | |"
    metric = "accuracy" if "accuracy" in r else "spearman"
    value = f"{r[metric]:.2%}" if metric == "accuracy" else f"{r[metric]:.3f}"
    extra = f" (macro-F1 {r['macro_f1']:.2%})" if "macro_f1" in r else (f" (±{r['fold_sd']:.3f} sd)" if "fold_sd" in r else "")
    target = TARGETS.get((r["job"], r["effort"]))
    verdict = ""
    if target:
        ok = r[target[0]] >= target[1] and (target[2] is None or r.get("search_seconds", 0) <= target[2])
        verdict = ("meets" if ok else "misses") + f" ≥{target[1]:g}" + (f" in ≤{target[2]} s" if target[2] else "")
    est = f"{r['estimate_seconds']:.0f} / {r['search_seconds']:.0f}" if "estimate_seconds" in r else f"– / {r['search_seconds']:.1f}"
    refit = f"{r['refit_seconds']:.1f}" if "refit_seconds" in r else "–"
    return (f"| {r['job']} | {r['effort']} | {metric} {value}{extra} | {est} | {r['cpu_seconds']:.0f} | "
            f"{r['peak_mb']:.0f} | {r.get('trials', 0):.0f} | {refit} | {verdict} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--job")
    ap.add_argument("--efforts", default=",".join(EFFORTS))
    ap.add_argument("--only", default="banking,polite,score")
    args = ap.parse_args()
    if args.job:
        job, effort = args.job.split(":")
        print(json.dumps(run_job(job, effort)))
        return
    results = []
    for job in args.only.split(","):
        for effort in ["baseline", *args.efforts.split(",")]:
            r = _spawn(job, effort)
            results.append(r)
            print(_row(r), flush=True)
            if r.get("notes"):
                print("   notes:", "; ".join(r["notes"]), flush=True)
        write(job, [r for r in results if r["job"] == job], args)


_TITLES = {"banking": "Banking77 intents (train.csv → test.csv)",
           "polite": "Politeness, binary (quartiles; 10-fold stratified CV, seed 0)",
           "score": "Politeness score (10-fold CV, seed 0; mean per-fold Spearman)"}


def _previous_rows(job: str) -> dict[str, str]:
    """Table rows already in this data set's section, by effort (kept unless re-run)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import RESULTS

    text = RESULTS.read_text() if RESULTS.exists() else ""
    start, end = text.find(f"<!-- quality-{job}:start -->"), text.find(f"<!-- quality-{job}:end -->")
    rows = {}
    for line in text[start:end].splitlines() if start >= 0 else []:
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1] == job:
            rows[cells[2]] = line
    return rows


def write(job: str, results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """One RESULTS.md section per data set; rows of efforts not re-run this time are kept."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import write_section

    rows = _previous_rows(job)
    rows.update({r["effort"]: _row(r) for r in results})
    order = ["baseline", *EFFORTS]

    lines = [
        f"## Quality: {_TITLES[job]}",
        f"`python bench/quality.py --efforts {args.efforts} --only {job}` (last run) on {time.strftime('%Y-%m-%d')}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared with other work: wall times are upper bounds).",
        "",
        "Banking77: train.csv → test.csv. polite: binary politeness (quartiles), 10-fold stratified CV, seed 0, "
        "one search per fold. score: politeness `Normalized Score`, 10-fold CV, seed 0, mean per-fold Spearman. "
        "Seconds are per search (mean over folds for CV jobs); estimate from `engine.estimate`. "
        "Refit: the chosen params refitted on all of train.csv with the feature cache warm. Rows of efforts "
        "not in the last run's --efforts come from an earlier run of the same script.",
        "",
        "| data | effort | result | estimate / actual s | CPU s (job) | peak MB | trials | refit s | target |",
        "|---|---|---|---|---|---|---|---|---|",
        *[rows[e] for e in order if e in rows],
    ]
    notes = sorted({n for r in results for n in r.get("notes", [])})
    if notes:
        lines += ["", "Notes from the engine: " + "; ".join(notes)]
    text = "\n".join(lines)
    write_section(f"quality-{job}", text)


if __name__ == "__main__":
    main()
