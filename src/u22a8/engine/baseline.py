"""Interim sparse engine: TF-IDF word+char n-grams with linear models, a small Optuna search.

Stands in only until the full engine lands; it implements the same public contract.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import time
from typing import Any

import numpy as np
import optuna
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC
from scipy.stats import spearmanr

from .types import Dataset, Effort, Progress, ProgressCallback, SearchCanceled, StopCheck, Task, TooFewSamples, TrainingResult

_TRIALS = {"low": 4, "medium": 10, "high": 20, "max": 40}


class ArtifactIntegrityError(ValueError):
    pass


def artifact_checksum(artifact: bytes) -> str:
    return hashlib.sha256(artifact).hexdigest()


def check_trainable(data: Dataset) -> None:
    missing: list[str] = []
    if data.task == "classify":
        counts: dict[str, int] = {}
        for t in data.targets:
            counts[str(t)] = counts.get(str(t), 0) + 1
        ok = [k for k, v in counts.items() if v >= 2]
        if len(ok) < 2:
            missing.append(f"at least 2 labels with 2 or more samples each (have {len(ok)})")
    elif data.task == "score":
        if len(data.texts) < 8:
            missing.append(f"at least 8 scored samples (have {len(data.texts)})")
    else:
        if len(data.texts) < 4:
            missing.append(f"at least 4 samples (have {len(data.texts)})")
    if missing:
        raise TooFewSamples(missing)


class _Featurizer:
    def __init__(self, word_max: int = 2, char: bool = True) -> None:
        self.word = TfidfVectorizer(ngram_range=(1, word_max), sublinear_tf=True)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True) if char else None

    def fit_transform(self, texts: list[str]) -> Any:
        parts = [self.word.fit_transform(texts)] + ([self.char.fit_transform(texts)] if self.char else [])
        return hstack(parts).tocsr()

    def transform(self, texts: list[str]) -> Any:
        parts = [self.word.transform(texts)] + ([self.char.transform(texts)] if self.char else [])
        return hstack(parts).tocsr()


class Predictor:
    def __init__(self, task: Task, feats: _Featurizer, model: Any, labels: list[str] | None,
                 thresholds: np.ndarray | None = None) -> None:
        self.task, self.feats, self.model, self.labels, self.thresholds = task, feats, model, labels, thresholds

    def predict(self, texts: list[str], top_k: int | None = None) -> list[dict[str, Any]]:
        X = self.feats.transform(list(texts))
        if self.task == "score":
            return [{"score": float(v)} for v in self.model.predict(X)]
        d = self.model.decision_function(X)
        if self.task == "multilabel":
            probs = 1 / (1 + np.exp(-3 * np.atleast_2d(d)))
            out = []
            for row in probs:
                scores = {lab: float(p) for lab, p in zip(self.labels or [], row)}
                out.append({"labels": [lab for lab, p in scores.items() if p >= 0.5], "scores": scores})
            return out
        d = np.atleast_2d(d)
        if d.shape[1] == 1:
            d = np.hstack([-d, d])
        e = np.exp(3 * (d - d.max(1, keepdims=True)))
        probs = e / e.sum(1, keepdims=True)
        out = []
        for row in probs:
            order = np.argsort(-row)[: top_k or len(row)]
            scores = {str(self.labels[i]): float(row[i]) for i in order}  # type: ignore[index]
            best = int(order[0])
            out.append({"label": str(self.labels[best]), "confidence": float(row[best]), "scores": scores})  # type: ignore[index]
        return out


def _fit(data: Dataset, texts: list[str], targets: list[Any], params: dict[str, Any]) -> Predictor:
    feats = _Featurizer(word_max=params.get("word_max", 2), char=params.get("char", True))
    X = feats.fit_transform(texts)
    if data.task == "score":
        model = Ridge(alpha=params.get("alpha", 1.0)).fit(X, targets)
        return Predictor("score", feats, model, None)
    if data.task == "multilabel":
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.preprocessing import MultiLabelBinarizer

        mlb = MultiLabelBinarizer().fit(targets)
        model = OneVsRestClassifier(LinearSVC(C=params.get("C", 0.5))).fit(X, mlb.transform(targets))
        return Predictor("multilabel", feats, model, list(mlb.classes_))
    model = LinearSVC(C=params.get("C", 0.5)).fit(X, targets)
    return Predictor("classify", feats, model, [str(c) for c in model.classes_])


def _evaluate(data: Dataset, params: dict[str, Any]) -> dict[str, Any]:
    texts, targets = list(data.texts), list(data.targets)
    strat = targets if data.task == "classify" and min(targets.count(t) for t in set(targets)) >= 2 else None
    tr, te, ytr, yte = train_test_split(texts, targets, test_size=0.2, random_state=0, stratify=strat)
    pred = _fit(data, tr, ytr, params).predict(te)
    if data.task == "score":
        y = [p["score"] for p in pred]
        rho = float(spearmanr(yte, y).statistic) if len(set(yte)) > 1 else 0.0
        return {"primary": rho, "primary_name": "spearman", "spearman": rho,
                "mae": float(mean_absolute_error(yte, y)), "r2": float(r2_score(yte, y)), "n_samples": len(texts),
                "protocol": "holdout 20%"}
    if data.task == "multilabel":
        from sklearn.preprocessing import MultiLabelBinarizer

        mlb = MultiLabelBinarizer().fit(targets)
        f1 = float(f1_score(mlb.transform(yte), mlb.transform([p["labels"] for p in pred]), average="micro", zero_division=0))
        return {"primary": f1, "primary_name": "micro_f1", "micro_f1": f1, "n_samples": len(texts), "protocol": "holdout 20%"}
    y = [p["label"] for p in pred]
    acc = float(accuracy_score(yte, y))
    return {"primary": acc, "primary_name": "accuracy", "accuracy": acc,
            "macro_f1": float(f1_score(yte, y, average="macro")), "n_samples": len(texts), "protocol": "holdout 20%"}


def _result(data: Dataset, params: dict[str, Any], trials: int, cpu0: float) -> TrainingResult:
    metrics = _evaluate(data, params)
    predictor = _fit(data, list(data.texts), list(data.targets), params)
    artifact = pickle.dumps(predictor, protocol=pickle.HIGHEST_PROTOCOL)
    return TrainingResult(artifact=artifact, params=params, metrics=metrics, report={}, trials_done=trials,
                          cpu_seconds=time.process_time() - cpu0)


def search(data: Dataset, effort: Effort, *, seed: int = 0, on_progress: ProgressCallback | None = None,
           should_stop: StopCheck | None = None, cache_dir: Any = None,
           time_limit_seconds: float | None = None) -> TrainingResult:
    cpu0, t0 = time.process_time(), time.time()
    planned = _TRIALS[effort]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial({"C": 0.5, "alpha": 1.0, "word_max": 2, "char": True})
    for i in range(planned):
        if should_stop and should_stop():
            raise SearchCanceled()
        trial = study.ask()
        params = {"C": trial.suggest_float("C", 0.05, 5, log=True), "alpha": trial.suggest_float("alpha", 0.1, 10, log=True),
                  "word_max": trial.suggest_int("word_max", 1, 3), "char": trial.suggest_categorical("char", [True, False])}
        score = _evaluate(data, params)["primary"]
        study.tell(trial, score)
        if on_progress:
            el = time.time() - t0
            on_progress(Progress(planned, i + 1, study.best_value, el, el / (i + 1) * (planned - i - 1),
                                 {"number": i, "score": score, "params": params, "elapsed": el}))
    return _result(data, dict(study.best_params), planned, cpu0)


def refit(data: Dataset, params: dict[str, Any], *, cache_dir: Any = None) -> TrainingResult:
    return _result(data, params, 0, time.process_time())


def should_promote(new: dict[str, Any], old: dict[str, Any], tolerance: float) -> tuple[bool, str]:
    a, b = float(new.get("primary", 0)), float(old.get("primary", 0))
    if a + tolerance >= b:
        return True, f"{new.get('primary_name')} {a:.4f} vs {b:.4f} (tolerance {tolerance})"
    return False, f"{new.get('primary_name')} {a:.4f} is worse than {b:.4f} beyond tolerance {tolerance}"


def estimate(n_samples: int, n_labels: int, task: Task, mean_chars: float) -> dict[str, dict[str, float]]:
    per = max(0.2, n_samples * mean_chars / 2e5)
    return {e: {"seconds": round(per * n, 1), "trials": float(n)} for e, n in _TRIALS.items()}


def load_predictor(artifact: bytes, sha256: str) -> Predictor:
    if artifact_checksum(artifact) != sha256:
        raise ArtifactIntegrityError("artifact checksum mismatch")
    return pickle.load(io.BytesIO(artifact))  # noqa: S301 - only platform-made, checksummed bytes
