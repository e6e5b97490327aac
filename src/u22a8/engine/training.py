"""One dataset prepared for training, and fitting configurations on its folds.

A :class:`Workspace` encodes the targets, fixes the folds, and memoises the costly parts that
different configurations share: n-gram counts (per n-gram range), embeddings (per embedder,
through the on-disk cache) and per-fold matrices (per feature configuration).

A *member* is one configuration from a params dict: ``{"features": {...}, "model": {...},
"weight": w}``. Its fold *output* is the raw margin matrix (classify, multilabel) or the
predicted values (score) on the fold's held-out rows.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .cache import CachedEmbedder, FeatureCache
from .counts_cache import CountsCache
from .embeddings import get_embedder, unavailable_reason
from .evaluation import make_folds, protocol_folds, protocol_name
from .families import get_family, make_head
from .features import CountedTexts, TextFeatures, weighted_cues
from .tasks import get_task
from .tasks.classify import MISSING_CLASS_MARGIN
from .types import Dataset, SearchCanceled
from .dual_cd import dual_from_margins
from .warm_start import WARM_MAX_ROWS, WarmStarts, svm_problem, warm_svc

__all__ = ["Workspace", "MISSING_CLASS_MARGIN"]

log = logging.getLogger("u22a8.engine")

_MATRIX_MEMO = 6  # fold matrices kept in memory: each holds a sparse matrix of every row
_FITS_MEMO = 16  # SVM fits whose dual variables a run may keep for the next one (see .warm_start)
_HOLDOUT_MEMO = 2  # fold-0 fits (features + head) kept whole: the search may serve one (see holdout_fit)


def _fit_key(member: dict[str, Any]) -> str:
    """A member's fit, whatever its ensemble weight."""
    return _key([member["features"], member["model"]])


def _key(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True)


def _warm_key(member: dict[str, Any]) -> dict[str, Any]:
    """What a member's fit depends on (not its ensemble weight): the name of its warm starts."""
    return {"features": {k: v for k, v in member["features"].items() if v is not None},
            "model": {k: v for k, v in member["model"].items() if v is not None}}


def _counting_key(tf: TextFeatures) -> str:
    """What n-gram counting depends on: features sharing it share one counting pass."""
    return _key([tf.word_ngrams, tf.char_ngrams, tf.lowercase, tf.edges])


class Workspace:
    def __init__(self, data: Dataset, *, cache_dir: Path | None = None,
                 should_stop: Callable[[], bool] | None = None, counts_key: str | None = None) -> None:
        """``counts_key``: a stable name for this data set (the runs layer passes the model's id)
        under which n-gram counts are kept in ``cache_dir`` between runs (see :mod:`.counts_cache`)."""
        self.task = data.task
        self.task_rules = get_task(data.task)
        self.texts = [str(t) for t in data.texts]
        self.n = len(self.texts)
        self.weights = None if data.weights is None else np.asarray(data.weights, dtype=np.float64)
        self.should_stop = should_stop
        self.cache = FeatureCache(Path(cache_dir)) if cache_dir is not None else None
        self.counts_key = counts_key
        self._counts_cache = CountsCache(Path(cache_dir)) if cache_dir is not None and counts_key else None
        self.notes: list[str] = []
        self.fallback_label = data.fallback_label if self.task_rules.target_shape == "label" else None
        self.fallback_min_precision = data.fallback_min_precision
        self.labels, self.y = self.task_rules.encode(data.targets)
        self.folds = make_folds(self.y, self.task_rules.fold_stratum(self.y))
        self.n_protocol = protocol_folds(self.n, len(self.folds))
        self.protocol = protocol_name(self.n, len(self.folds))
        self._counted: dict[str, CountedTexts] = {}
        self._dense: dict[str, np.ndarray] = {}
        # Seconds spent on what is computed once per data set and reused by every later fit on
        # it, the final fit's included (n-gram counts, embeddings): a fold that paid for them is
        # not what fitting on all rows will cost (see .trials.Clock).
        self.once_seconds = 0.0
        self._cues: dict[str, np.ndarray] = {}
        self._embedders: dict[str, CachedEmbedder] = {}
        self._matrices: OrderedDict[str, tuple[sp.csr_matrix, sp.csr_matrix]] = OrderedDict()
        self._fold_features: dict[str, TextFeatures] = {}  # fold-0 features, while their matrices are kept
        self._holdout_fits: OrderedDict[str, tuple[TextFeatures, Any]] = OrderedDict()
        self._warm = WarmStarts(Path(cache_dir)) if cache_dir is not None and counts_key else None
        # (member, part) → what its last SVM fit needs to keep its dual variables (see remember_warm)
        self._fits: OrderedDict[str, tuple[np.ndarray, list[str], np.ndarray]] = OrderedDict()
        self.start_warm = False  # a refit sets it: fits then start from the last run's solution
        self.warm_fits = 0  # how many did

    # -- features -------------------------------------------------------------------------
    def usable(self, features: dict[str, Any]) -> dict[str, Any]:
        """``features`` with the embedding dropped (and a note) if the embedder cannot load here."""
        name = features.get("embed")
        if not name:
            return features
        reason = unavailable_reason(name)
        if reason is None:
            return features
        note = f"embedder {name} unavailable ({reason}); trained on sparse features only"
        if note not in self.notes:
            self.notes.append(note)
            log.warning(note)
        return {**features, "embed": None}

    def embedder(self, name: str) -> CachedEmbedder:
        if name not in self._embedders:
            self._embedders[name] = CachedEmbedder(get_embedder(name), self.cache, self.should_stop)
        return self._embedders[name]

    def embedding_seconds(self, name: str) -> float:
        """Expected seconds to get every text's embedding (cached ones are free)."""
        emb = self.embedder(name)
        inner = emb.inner
        per_text = float(getattr(inner, "seconds_per_text", 0.0))
        load = 0.0 if getattr(inner, "loaded", True) else float(getattr(inner, "load_seconds", 0.0))
        missing = emb.missing(self.texts)
        return 0.0 if missing == 0 else load + per_text * missing

    def dense(self, name: str) -> np.ndarray:
        """Unweighted embeddings of every text, computed (or read from the cache) once."""
        if name not in self._dense:
            t = time.monotonic()
            self._dense[name] = self.embedder(name).encode(self.texts)
            self.once_seconds += time.monotonic() - t
        return self._dense[name]

    def counted(self, features: dict[str, Any]) -> CountedTexts:
        tf = self.text_features(features)  # its defaults fill keys missing from older params
        key = _counting_key(tf)
        if key not in self._counted:
            t = time.monotonic()
            if self._counts_cache is not None:
                self._counted[key] = self._counts_cache.counted(self.counts_key or "", self.texts, tf.word_ngrams,
                                                                tf.char_ngrams, tf.lowercase, tf.edges)
            else:
                self._counted[key] = CountedTexts(self.texts, tf.word_ngrams, tf.char_ngrams, tf.lowercase, tf.edges)
            self.once_seconds += time.monotonic() - t
        return self._counted[key]

    def remember_counts(self, members: list[dict[str, Any]]) -> None:
        """Keep the n-gram counts of the chosen members for the next run on this data set."""
        if self._counts_cache is None:
            return
        saved: set[str] = set()
        for m in members:
            tf = self.text_features(m["features"])
            key = _counting_key(tf)
            if (tf.word_ngrams or tf.char_ngrams) and key not in saved:
                saved.add(key)
                self._counts_cache.save_in_background(self.counts_key or "", self.texts, self.counted(m["features"]))

    def text_features(self, features: dict[str, Any]) -> TextFeatures:
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in features.items()}
        tf = TextFeatures(**kw)
        if tf.embed and tf.embedder is None:
            tf.embedder = self.embedder(tf.embed).inner
        return tf

    def weighted_dense(self, features: dict[str, Any]) -> np.ndarray | None:
        """The dense blocks of every row, weighted, in TextFeatures.transform's order: the
        embedding, then the tone cues (per-text, nothing fitted: safe to compute for all rows)."""
        blocks = []
        if features.get("embed"):
            blocks.append(self.dense(features["embed"]) * np.float32(features.get("embed_weight", 2.0)))
        if features.get("cues_weight"):
            if "cues" not in self._cues:  # computed once per workspace, weighted per configuration
                self._cues["cues"] = weighted_cues(self.texts, 1.0)
            blocks.append(self._cues["cues"] * np.float32(features["cues_weight"]))
        if not blocks:
            return None
        return blocks[0] if len(blocks) == 1 else np.hstack(blocks)

    def matrices(self, features: dict[str, Any], fold: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        key = _key([features, fold])
        if key in self._matrices:
            self._matrices.move_to_end(key)
            return self._matrices[key]
        train, test = self.folds[fold]
        tf = self.text_features(features)
        pair = self.counted(features).fold(tf, train, test, self.weighted_dense(features))
        self._matrices[key] = pair
        if fold == 0:
            self._fold_features[key] = tf
        while len(self._matrices) > _MATRIX_MEMO:
            self._fold_features.pop(self._matrices.popitem(last=False)[0], None)
        return pair

    def full(self, features: dict[str, Any]) -> tuple[TextFeatures, sp.csr_matrix]:
        """``features`` fitted on every row, and the matrix of every row."""
        tf = self.text_features(features)
        x, _ = tf._fit_from(self.counted(features), np.arange(self.n))
        dense = self.weighted_dense(features)
        if dense is not None:
            x = sp.hstack([x, sp.csr_matrix(dense)], format="csr")
        return tf, x

    # -- fitting --------------------------------------------------------------------------
    def _sample_weight(self, rows: np.ndarray) -> np.ndarray | None:
        return None if self.weights is None else self.weights[rows]

    def fit_head(self, member: dict[str, Any], x: sp.csr_matrix, rows: np.ndarray, part: str | None = None) -> Any:
        """``part`` (``full`` or ``holdout``) names a fit the next run on this data set may start
        from (see :mod:`.warm_start`); an SVM fit of that part starts from the last run's."""
        # Solver seeds are fixed (0), not the search seed: a refit, which knows no seed, must fit
        # exactly what the search fitted. The search seed drives the sampler only.
        head = make_head(self.task, member["model"], seed=0)
        warm = part is not None and self._warm is not None and self._warmable(member, rows)
        if not warm:
            return head.fit(x, self.y[rows], sample_weight=self._sample_weight(rows))
        y = self.y[rows]
        classes = np.unique(y)
        problem = svm_problem(x, y, classes, head.C, head.class_weight, self._sample_weight(rows))
        names = [self.labels[c] for c in classes] if self.labels else []
        start = None
        if self.start_warm:
            # A held-out fit falls back on the full fit's rows, and a full fit on the held-out
            # fit's when the last run served that one (a search out of time keeps no full part).
            parts = (part, "full") if part != "full" else (part, "holdout")
            start = self._warm.start(self.counts_key or "", _warm_key(member), parts,  # type: ignore[union-attr]
                                     [self.texts[i] for i in rows], names)
        if start is not None and start.alpha.shape[1] == problem.signs.shape[1]:
            head.model_, alpha = warm_svc(get_family("svm").estimator(head), problem, classes, start)
            head.classes_ = classes
            self.warm_fits += 1
        else:
            head.fit(x, y, sample_weight=self._sample_weight(rows))
            alpha = dual_from_margins(problem, np.asarray(x @ head.model_.coef_.T) + head.model_.intercept_)
        # Kept as float32 rows × labels (a fraction of the fit's matrix), for remember_warm.
        self._fits[_key([_warm_key(member), part])] = (rows, names, alpha.astype(np.float32))
        while len(self._fits) > _FITS_MEMO:
            self._fits.popitem(last=False)
        return head

    def _warmable(self, member: dict[str, Any], rows: np.ndarray) -> bool:
        """Single-label SVM fits of a data set small enough to keep its dual variables."""
        return (member["model"].get("family") == "svm" and not self.task_rules.per_label_heads
                and self.task_rules.has_labels and len(rows) <= WARM_MAX_ROWS)

    def remember_warm(self, members: list[dict[str, Any]]) -> None:
        """Keep the dual variables of ``members``' fits for the next run on this data set."""
        if self._warm is None:
            return
        for m in members:
            for part in ("full", "holdout"):
                fit = self._fits.get(_key([_warm_key(m), part]))
                if fit is None:
                    continue
                rows, names, alpha = fit
                self._warm.save_in_background(self.counts_key or "", _warm_key(m), part,
                                              [self.texts[i] for i in rows], names, alpha)

    def head_output(self, head: Any, x: sp.csr_matrix) -> np.ndarray:
        return self.task_rules.raw_output(head, x, len(self.labels or []))

    def fold_output(self, member: dict[str, Any], fold: int) -> tuple[np.ndarray, float]:
        """Fit ``member`` on the fold's training rows; its output and primary score on the rest."""
        if self.should_stop and self.should_stop():
            raise SearchCanceled()
        x_train, x_test = self.matrices(member["features"], fold)
        train, test = self.folds[fold]
        out = self.task_rules.lone_label_output(self.y[train], len(test), len(self.labels or []))
        if out is None:
            head = self.fit_head(member, x_train, train, "holdout" if fold == 0 else None)
            out = self.head_output(head, x_test)
            tf = self._fold_features.get(_key([member["features"], fold])) if fold == 0 else None
            if tf is not None:
                key = _fit_key(member)
                self._holdout_fits[key] = (tf, head)
                self._holdout_fits.move_to_end(key)
                while len(self._holdout_fits) > _HOLDOUT_MEMO:
                    self._holdout_fits.popitem(last=False)
        return out, self.task_rules.fold_score(self.y[test], out)

    def holdout_fit(self, member: dict[str, Any]) -> tuple[TextFeatures, Any] | None:
        """``member``'s features and head as fitted on fold 0's training rows, if still kept: a
        complete model (its held-out outputs are the ones the metrics come from) that the search
        serves when fitting on all rows would not end within the ceiling."""
        return self._holdout_fits.get(_fit_key(member))

    def protocol_rows(self) -> np.ndarray:
        return np.concatenate([self.folds[k][1] for k in range(self.n_protocol)])
