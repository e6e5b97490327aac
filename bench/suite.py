"""The development suite: every public set, every task, each effort over the HTTP API, with baselines.

    python bench/suite.py                                   # every set at low, medium, high
    python bench/suite.py --sets hwu64,trec6 --efforts low  # a part
    python bench/suite.py --efforts low,max --no-baselines  # engine rows only

For each set (``../shared/data``, formats and licences in its README.md) and effort, a fresh
``u22a8 serve`` (bench/_common.py) gets the training split over HTTP, trains at that effort, and
answers the test split over HTTP. Wall time is POST /train → ready; peak RSS is the most the
server's process tree (API + its training workers) held at once during training, sampled every
0.2 s. In the same run, in a child process of its own, the set's baselines:

- classify: TF-IDF word 1-2 + char_wb 2-5 (sublinear) → LinearSVC(C=0.5); the same ⊕ 2×MiniLM
  (all-MiniLM-L6-v2, unit vectors scaled by 2).
- multilabel: the same features → one-vs-rest LogisticRegression, each label's threshold chosen
  on dev.csv for F1.
- score: the same features → Ridge(alpha=1).

Train on train.csv, report on test.csv; dev.csv is only used by the multilabel baseline's
thresholds (the engine chooses its own on out-of-fold outputs). Politeness has one file: its
binary task (quartiles of ``Normalized Score``) is split 80/20, stratified, seed 0.

Rows of (set, effort) not run this time are kept from earlier runs in RESULTS.md; each row says
when it ran.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, RESULTS, PeakRss, Server, train_and_wait, upload, write_section  # noqa: E402

EFFORTS = ("low", "medium", "high", "max")
CEILING = {"low": 20, "medium": 180, "high": 600, "max": 1800}
EMB_CACHE = Path(os.environ.get("U22A8_SUITE_CACHE", "/tmp/u22a8-suite-cache"))


@dataclass(frozen=True)
class Spec:
    task: str  # classify | multilabel | score
    folder: str
    target: str  # the column holding the target
    title: str


SETS: dict[str, Spec] = {
    "banking77": Spec("classify", "banking77", "category", "Banking77 intents (77)"),
    "hwu64": Spec("classify", "hwu64", "label", "HWU64 intents (64)"),
    "trec6": Spec("classify", "trec", "label_coarse", "TREC question type (6)"),
    "trec50": Spec("classify", "trec", "label_fine", "TREC question type (50)"),
    "sst5": Spec("classify", "sst5", "label", "SST-5 sentiment (5)"),
    "politeness": Spec("classify", "politeness", "", "Politeness, binary quartiles (80/20 split)"),
    "goemotions": Spec("multilabel", "goemotions", "labels", "GoEmotions (28, multilabel)"),
    "emobank": Spec("score", "emobank", "score", "EmoBank valence (score)"),
}


# -- data ---------------------------------------------------------------------------------------
def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _target(spec: Spec, raw: str) -> Any:
    if spec.task == "multilabel":
        return sorted(set(raw.split("|")))
    if spec.task == "score":
        return float(raw)
    return raw


def load(name: str) -> dict[str, tuple[list[str], list[Any]]]:
    """``{"train": (texts, targets), "test": …, "dev"?: …}``."""
    spec = SETS[name]
    if name == "politeness":
        from sklearn.model_selection import train_test_split

        rows = _csv(DATA / "politeness" / "wikipedia.annotated.csv")
        score = np.array([float(r["Normalized Score"]) for r in rows])
        lo, hi = np.quantile(score, [0.25, 0.75])
        keep = [i for i in range(len(rows)) if score[i] <= lo or score[i] >= hi]
        texts = [rows[i]["Request"] for i in keep]
        labels = ["polite" if score[i] >= hi else "impolite" for i in keep]
        a, b, ya, yb = train_test_split(texts, labels, test_size=0.2, stratify=labels, random_state=0)
        return {"train": (a, ya), "test": (b, yb)}
    out = {}
    for split in ("train", "dev", "test"):
        path = DATA / spec.folder / f"{split}.csv"
        if path.exists():
            rows = _csv(path)
            out[split] = ([r["text"] for r in rows], [_target(spec, r[spec.target]) for r in rows])
    return out


# -- metrics ------------------------------------------------------------------------------------
def evaluate(task: str, y: list[Any], pred: list[Any], labels: list[str] | None = None) -> dict[str, float]:
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    if task == "classify":
        return {"accuracy": float(np.mean(np.array(pred) == np.array(y))),
                "macro_f1": float(f1_score(y, pred, average="macro"))}
    if task == "multilabel":
        mlb = MultiLabelBinarizer(classes=labels or sorted({lab for t in y for lab in t}))
        Y, P = mlb.fit_transform(y), mlb.transform(pred)
        per_label = f1_score(Y, P, average=None, zero_division=0)
        return {"macro_f1": float(f1_score(Y, P, average="macro", zero_division=0)),
                "micro_f1": float(f1_score(Y, P, average="micro", zero_division=0)),
                "per_label_f1": {lab: round(float(f), 3) for lab, f in zip(mlb.classes_, per_label)}}
    a, b = np.asarray(y, float), np.asarray(pred, float)
    return {"pearson": float(pearsonr(a, b).statistic), "spearman": float(spearmanr(a, b).statistic),
            "pred_min": float(b.min()), "pred_max": float(b.max()),
            "train_min": float("nan"), "train_max": float("nan")}


def primary(task: str, m: dict[str, float]) -> float:
    """The figure the targets compare, in points: accuracy %, macro-F1 ×100, Pearson ×100."""
    return 100 * m["accuracy" if task == "classify" else "macro_f1" if task == "multilabel" else "pearson"]


# -- baselines (a child process) ----------------------------------------------------------------
def _minilm(name: str, split: str, texts: list[str]) -> np.ndarray:
    """MiniLM vectors of a split, kept in a cache outside the repository across runs."""
    EMB_CACHE.mkdir(parents=True, exist_ok=True)
    path = EMB_CACHE / f"{SETS[name].folder}-{split}-{len(texts)}.npy"  # trec6 and trec50 share texts
    if path.exists():
        return np.load(path)  # type: ignore[no-any-return]
    from u22a8.engine.embeddings import MINILM, get_embedder

    vecs = get_embedder(MINILM).encode(texts)
    np.save(path, vecs)
    return vecs


def run_baselines(name: str, variants: tuple[str, ...] = ("tfidf", "minilm")) -> dict[str, Any]:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    spec, data = SETS[name], load(name)
    x_train, y_train = data["train"]
    x_test, y_test = data["test"]
    t0 = time.monotonic()
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    splits = {"train": x_train, "test": x_test, **({"dev": data["dev"][0]} if "dev" in data else {})}
    sparse = {"train": hstack([word.fit_transform(x_train), char.fit_transform(x_train)]).tocsr()}
    for s in splits:
        if s != "train":
            sparse[s] = hstack([word.transform(splits[s]), char.transform(splits[s])]).tocsr()
    tfidf_seconds = time.monotonic() - t0
    assert variants[0] == "tfidf", "the TF-IDF baseline always runs (its features are the other's base)"
    results: dict[str, Any] = {}
    for variant in variants:
        t1 = time.monotonic()
        X = sparse if variant == "tfidf" else {
            s: hstack([sparse[s], csr_matrix(2.0 * _minilm(name, s, splits[s]))]).tocsr() for s in splits}
        if spec.task == "classify":
            pred = list(LinearSVC(C=0.5).fit(X["train"], y_train).predict(X["test"]))
            m = evaluate("classify", y_test, pred)
        elif spec.task == "score":
            pred = list(Ridge(alpha=1.0).fit(X["train"], y_train).predict(X["test"]))
            m = evaluate("score", y_test, pred)
        else:
            mlb = MultiLabelBinarizer()
            Y = mlb.fit_transform(y_train)
            clf = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=1000, solver="liblinear"), n_jobs=1)
            clf.fit(X["train"], Y)
            cut = _dev_thresholds(clf.predict_proba(X["dev"]), mlb.transform(data["dev"][1]))
            P = clf.predict_proba(X["test"]) >= cut
            pred = [[mlb.classes_[j] for j in np.flatnonzero(row)] for row in P]
            m = evaluate("multilabel", y_test, pred, list(mlb.classes_))
        m["seconds"] = time.monotonic() - t1 + (tfidf_seconds if variant == "tfidf" else 0.0)
        results[variant] = m
    results["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _dev_thresholds(p: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per label, the cut in a 0.05-0.95 grid with the best F1 on dev."""
    grid = np.linspace(0.05, 0.95, 19)
    cut = np.full(p.shape[1], 0.5)
    for j in range(p.shape[1]):
        y = Y[:, j].astype(bool)
        if not y.any():
            continue
        f1 = [2 * (y & (p[:, j] >= g)).sum() / max(y.sum() + (p[:, j] >= g).sum(), 1) for g in grid]
        cut[j] = grid[int(np.argmax(f1))]
    return cut


# -- the engine over HTTP -----------------------------------------------------------------------
def _sample(task: str, text: str, target: Any) -> dict[str, Any]:
    key = {"classify": "label", "multilabel": "labels", "score": "score"}[task]
    return {"text": text, key: target}


def run_engine(name: str, effort: str) -> dict[str, Any]:
    spec, data = SETS[name], load(name)
    x_train, y_train = data["train"]
    x_test, y_test = data["test"]
    handle = f"bench.{name}"  # handles are owner.name; the key's owner is "bench"
    with Server() as server, server.client() as http:
        upload(http, handle, [_sample(spec.task, t, y) for t, y in zip(x_train, y_train)], spec.task)
        assert server.proc is not None
        with PeakRss(server.proc.pid) as rss:
            trained = train_and_wait(http, handle, effort)
        wall, run = trained["wall_seconds"], trained["run"]
        model = http.get(f"/v1/models/{handle}").json()
        report = http.get(f"/v1/models/{handle}/versions/{model['active_version']['number']}/report").json()
        preds: list[dict[str, Any]] = []
        for i in range(0, len(x_test), 500):
            r = http.post(f"/v1/models/{handle}/predict", json={"inputs": x_test[i: i + 500]})
            r.raise_for_status()
            preds += r.json()["predictions"]
    key = {"classify": "label", "multilabel": "labels", "score": "score"}[spec.task]
    labels = sorted({lab for t in y_train for lab in t}) if spec.task == "multilabel" else None
    m = evaluate(spec.task, y_test, [p[key] for p in preds], labels)
    if spec.task == "score":
        m["train_min"], m["train_max"] = float(min(y_train)), float(max(y_train))
    metrics = report.get("metrics") or {}
    search = metrics.get("search", {})
    return {"set": name, "effort": effort, **m, "n_train": len(x_train), "wall_seconds": wall, "cpu_seconds": run.get("cpu_seconds"),
            "peak_mb": rss.peak / 2**20, "trials": run.get("trials_done"), "cv": metrics.get("primary"),
            "chosen": metrics.get("chosen") or _chosen(report.get("params") or {}),
            "members": search.get("members") or [search.get("best")],
            "stopped_for_time": search.get("stopped_for_time"), "notes": (report.get("data") or {}).get("notes", []),
            "cuts": metrics.get("thresholds") if spec.task == "multilabel" else None}


def _chosen(params: dict[str, Any]) -> dict[str, list[str]]:
    """Feature blocks and families of a version's members (for engines without ``metrics.chosen``)."""
    blocks: set[str] = set()
    fams: set[str] = set()
    for m in params.get("members", []):
        f = m["features"]
        blocks.update(b for b, on in (("word", f.get("word_ngrams")), ("char", f.get("char_ngrams")),
                                      (str(f.get("embed")), f.get("embed")), ("cues", f.get("cues_weight"))) if on)
        fams.add(m["model"]["family"])
    return {"blocks": sorted(blocks), "families": sorted(fams)}


# -- the parent ---------------------------------------------------------------------------------
def _spawn(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _fmt_metric(task: str, m: dict[str, Any]) -> str:
    if task == "classify":
        return f"acc {100 * m['accuracy']:.2f} (macro-F1 {100 * m['macro_f1']:.2f})"
    if task == "multilabel":
        return f"macro-F1 {m['macro_f1']:.3f}, micro-F1 {m['micro_f1']:.3f}"
    return f"Pearson {m['pearson']:.3f}, Spearman {m['spearman']:.3f}"


def per_label_lines(rows: dict[tuple[str, str], str], results: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """Per-label test F1 of multilabel runs (this run's; earlier ones are kept as written)."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    section = text[text.find("<!-- suite:start -->"): text.find("<!-- suite:end -->")] if "<!-- suite:start -->" in text else ""
    out = [line for line in section.splitlines()  # earlier runs' lines, unless this run redid them
           if line.startswith("- ") and tuple(line[2:].split(",")[0].split()[:2]) not in results]
    for (name, effort), r in sorted(results.items()):
        if "per_label_f1" in r:
            cut = r.get("cuts") or {}
            cells = ", ".join(f"{lab} {f:.2f}" + (f" (cut {cut[lab]:.2f})" if lab in cut else "")
                              for lab, f in sorted(r["per_label_f1"].items(), key=lambda kv: -kv[1]))
            out.append(f"- {name} {effort}, per-label F1 on test (engine's cut per label): {cells}")
    return out


def _verdict(task: str, effort: str, m: dict[str, Any], base: dict[str, Any] | None) -> str:
    if not base or "error" in base:
        return "–"
    tfidf = primary(task, base["tfidf"])
    best = max(tfidf, primary(task, base["minilm"])) if "minilm" in base else tfidf
    value = primary(task, m)
    if effort in ("high", "max"):
        goal, name = best + 0.5, "best+0.5"
    elif effort == "medium":
        goal, name = best, "best"
    else:
        goal, name = tfidf, "TF-IDF"
    verdict = f"{'meets' if value >= goal else 'misses'} ≥ {name} ({goal:.2f}; {value - goal:+.2f})"
    if effort == "low" and m.get("n_train", 0) >= 20_000:  # the low target is for sets under 20k
        verdict = f"no target (≥ 20k samples); vs TF-IDF {value - goal:+.2f}"
    if m["wall_seconds"] > CEILING[effort]:
        verdict += f"; over time ({m['wall_seconds']:.1f} s > {CEILING[effort]} s)"
    return verdict


def engine_row(name: str, r: dict[str, Any], base: dict[str, Any] | None) -> str:
    task = SETS[name].task
    if "error" in r:
        return f"| {name} | {task} | {r['effort']} | error: {r['error']} | | | | | | {time.strftime('%m-%d %H:%M')} |"
    extra = ""
    if task == "score":
        extra = f"; outputs {r['pred_min']:.2f}–{r['pred_max']:.2f} (train {r['train_min']:.2f}–{r['train_max']:.2f})"
    chosen = r.get("chosen") or {}
    what = f"{' + '.join(chosen.get('blocks', []))} → {', '.join(chosen.get('families', []))}"
    return (f"| {name} | {task} | {r['effort']} | {_fmt_metric(task, r)}{extra} | {_verdict(task, r['effort'], r, base)} | "
            f"{r['wall_seconds']:.0f} / {CEILING[r['effort']]} | {r['peak_mb']:.0f} | {r['trials']} | {what} | "
            f"{time.strftime('%m-%d %H:%M')} |")


def baseline_row(name: str, b: dict[str, Any]) -> str:
    task = SETS[name].task
    if "error" in b:
        return f"| {name} | {task} | baseline | error: {b['error']} | | | | | | {time.strftime('%m-%d %H:%M')} |"
    minilm = f"; ⊕MiniLM {_fmt_metric(task, b['minilm'])}" if "minilm" in b else "; ⊕MiniLM not run"
    seconds = f"{b['tfidf']['seconds']:.0f}" + (f" + {b['minilm']['seconds']:.0f}" if "minilm" in b else "")
    return (f"| {name} | {task} | baseline | TF-IDF {_fmt_metric(task, b['tfidf'])}{minilm} "
            f"| – | {seconds} | {b['peak_mb']:.0f} | – | – | "
            f"{time.strftime('%m-%d %H:%M')} |")


BASELINES = Path(__file__).with_name("suite_baselines.json")  # figures only, to judge later runs


def _stored_baselines() -> dict[str, dict[str, Any]]:
    return json.loads(BASELINES.read_text()) if BASELINES.exists() else {}


def _keep_baseline(name: str, base: dict[str, Any]) -> dict[str, Any]:
    """Keep a set's baseline figures (merged over the stored ones: a run may skip ⊕MiniLM) so a
    later run with --no-baselines judges its rows against them; returns what rows are judged by
    now (a failed baseline as it came, stored nowhere)."""
    if "error" in base:
        return base
    stored = _stored_baselines()
    # Strict JSON: a figure that is not a number (a score set's unused train range) is dropped.
    base = {k: ({m: x for m, x in v.items() if not (isinstance(x, float) and not np.isfinite(x))}
                if isinstance(v, dict) else v) for k, v in base.items()}
    merged = {**stored.get(name, {}), **base, "run_at": time.strftime("%Y-%m-%d %H:%M")}
    stored[name] = merged
    BASELINES.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
    return merged


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min: {five:.1f})"


def _previous_rows() -> dict[tuple[str, str], str]:
    text = RESULTS.read_text() if RESULTS.exists() else ""
    start, end = text.find("<!-- suite:start -->"), text.find("<!-- suite:end -->")
    rows = {}
    for line in text[start:end].splitlines() if start >= 0 else []:
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and cells[1] in SETS:
            rows[(cells[1], cells[3])] = line
    return rows


def write(own: dict[tuple[str, str], str], command: str, extra: list[str] | None, load: str, started: float) -> None:
    """Rewrite the section: this run's rows over those in the file now (another run may have added some)."""
    rows = {**_previous_rows(), **own}
    order = ["baseline", *EFFORTS]
    body = [
        "## Development suite: every set, task and effort over HTTP, against baselines in the same run",
        f"Last run: `{command}` on {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"{load}, {(time.monotonic() - started) / 60:.0f} min from its start to its last row written "
        "(baselines, uploads, training and predictions, one run after another): the machine is shared, so wall "
        "times are upper bounds. "
        "Rows of sets/efforts not in the last run come from earlier runs (the last column says when); "
        "with --no-baselines a row is judged against the set's last baseline (bench/suite_baselines.json).",
        "",
        "Train on train.csv, report on test.csv (politeness: binary quartiles, 80/20 stratified split, seed 0). "
        "Baselines: TF-IDF word 1-2 + char_wb 2-5 → LinearSVC(C=0.5) / one-vs-rest logistic regression with "
        "per-label thresholds chosen on dev.csv / Ridge(alpha=1); ⊕MiniLM appends 2×all-MiniLM-L6-v2 vectors. "
        "Targets (issue 14): low ≥ TF-IDF within 20 s, medium ≥ the better baseline, high and max ≥ it + 0.5 "
        "points (accuracy %, macro-F1 ×100, Pearson ×100). Wall: POST /train → ready against the effort's "
        "ceiling; peak RSS: the server and its training workers during training (baseline: its own process). "
        "Chosen: the feature blocks and model families of the served version's members.",
        "",
        "| set | task | effort | test metric | target | wall s / ceiling | peak RSS MB | trials | chosen | run at |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in SETS:
        body += [rows[(name, e)] for e in order if (name, e) in rows]
    if extra:
        body += ["", *extra]
    write_section("suite", "\n".join(body))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--efforts", default="low,medium,high")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--baselines", default="tfidf,minilm",
                    help="baseline variants (⊕MiniLM embeds every text: minutes on a busy machine)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:  # one job in its own process: "baseline:SET" or "engine:SET:EFFORT"
        kind, *rest = args.child.split(":")
        if kind == "baseline":
            print(json.dumps(run_baselines(rest[0], tuple(rest[1].split(",")) if len(rest) > 1 else ("tfidf", "minilm"))))
        else:
            print(json.dumps(run_engine(rest[0], rest[1])))
        return
    command = " ".join(["python bench/suite.py", *sys.argv[1:]])
    started = time.monotonic()
    load = f"{_load()} when it started at {time.strftime('%H:%M')} UTC"
    rows: dict[tuple[str, str], str] = {}  # this run's rows; write() merges them into the file's
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for name in args.sets.split(","):
        if name not in SETS:
            raise SystemExit(f"unknown set {name!r}; use {', '.join(SETS)}")
        base = _stored_baselines().get(name)
        if not args.no_baselines:
            fresh = _spawn("--child", f"baseline:{name}:{args.baselines}")
            rows[(name, "baseline")] = baseline_row(name, fresh)
            base = _keep_baseline(name, fresh)
            print(rows[(name, "baseline")], flush=True)
            write(rows, command, per_label_lines(rows, results), load, started)
        for effort in args.efforts.split(","):
            r = _spawn("--child", f"engine:{name}:{effort}")
            r.setdefault("effort", effort)
            rows[(name, effort)] = engine_row(name, r, base)
            results[(name, effort)] = r
            print(rows[(name, effort)], flush=True)
            if r.get("notes"):
                print("   notes:", "; ".join(r["notes"]), flush=True)
            write(rows, command, per_label_lines(rows, results), load, started)


if __name__ == "__main__":
    main()
