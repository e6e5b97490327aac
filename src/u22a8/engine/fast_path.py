"""The serving path: a predictor compiled once into arrays, so one text costs its arithmetic.

:meth:`Predictor.outputs` used to run each member through scikit-learn and scipy.sparse: small
CSR matrices built, validated, broadcast-multiplied and stacked on every call, then
``decision_function`` with its own checks. For one text that overhead was nearly all of the
time (issue 13). A :class:`Plan` does the same arithmetic straight from arrays taken out of the
fitted objects when the predictor is loaded:

- n-gram blocks: the fitted vectorizer's own analyzer gives the terms (so tokenisation is
  exactly scikit-learn's), the vocabulary gives their columns, sublinear TF × IDF and the L2
  norm are computed in float32 as :func:`.features._tfidf` does, and the column indices go
  straight into the rows of the head's transposed coefficient matrix;
- dense blocks (sentence embeddings, tone cues) are computed as before and multiplied with
  their coefficient rows; members sharing an embedder run it once per call;
- heads: every linear head (one multiclass model, one binary model per label, a regressor)
  becomes one coefficient matrix and one intercept row; kNN finds one text's neighbours with
  :class:`.neighbours.PrunedIndex` (a batch: one product, as the head does); calibration (temperature) and the mixing weights are the task's, as before.

What the plan cannot compile (a head or a feature object it does not know: a family added
later, a legacy artifact's odd member) runs through the reference path for that member alone,
and :attr:`Plan.fallbacks` names it; ``tests/engine/test_fast_path.py`` fails for every
registered family, task and feature block that is not compiled, so a new one is noticed.
The outputs equal the reference path's (:meth:`Predictor.reference_outputs`) to 1e-6.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .features import TextFeatures, _block_texts
from .families._heads import KNNHead, LinearHead, MultiLabelHead, ScoreHead
from . import _kernels
from .neighbours import pruned_index
from .tasks import Task, get_task

__all__ = ["Plan", "compile_plan"]

_F32 = np.float32
_ONE = np.float32(1.0)


_KEY_BITS = 60  # of a term's key for its characters; the top 4 bits hold its length


class _CharWbKeys:
    """A ``char_wb`` block's terms found without making them: every character of the vocabulary
    gets a small code (its alphabet has a few hundred), so an n-gram is an exact integer (its
    codes side by side, its length on top) and a text's n-grams are found by one compiled pass
    (:func:`._kernels.char_ngram_columns`) that searches the vocabulary's sorted keys.

    The analyzer made some 300 strings per text, hashed and counted them in Python: the largest
    cost of the linear member, and its churn slowed the numpy work that followed it in the same
    call (bench/RESULTS.md). The terms are exactly the analyzer's (sklearn's ``_char_wb_ngrams``:
    each whitespace-separated word padded with one space each side, every substring of n
    characters for n in the range up to the padded word's length, a padded word shorter than
    the smallest n once, whole). Here the padded words stand side by side in one string, and
    every substring of it is looked up: one that spans two words holds their two spaces, which
    no term holds, so it is never found; a character outside the vocabulary's alphabet has
    code 0, which no term's key has, so neither is an n-gram with it."""

    def __init__(self, vec: Any, low: int, high: int, alphabet: list[str], bits: int) -> None:
        self.low, self.high, self.bits = low, high, bits
        self.prepare = vec.build_preprocessor()
        self.decode = vec.decode
        self.white = vec._white_spaces
        points = [ord(ch) for ch in alphabet]
        self.code = np.zeros(max(points, default=0) + 2, dtype=np.uint64)  # the last: every wider point
        self.code[points] = np.arange(1, len(points) + 1, dtype=np.uint64)
        keys = self._keys(list(vec.vocabulary_))
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.cols = np.fromiter(vec.vocabulary_.values(), dtype=np.intp, count=len(keys))[order]

    @classmethod
    def of(cls, vec: Any) -> "_CharWbKeys | None":
        """The keys of a fitted ``char_wb`` vectorizer, or None when its terms do not fit in 60 bits."""
        if vec.analyzer != "char_wb":
            return None
        low, high = (int(n) for n in vec.ngram_range)
        alphabet = sorted({ch for term in vec.vocabulary_ for ch in term})
        bits = max(1, len(alphabet).bit_length())  # codes 1..len(alphabet); 0: not in it
        if high * bits > _KEY_BITS or high >= 16:
            return None
        return cls(vec, low, high, alphabet, bits)

    def _key(self, term: str) -> int:
        key = 0
        for ch in term:
            key = (key << self.bits) | int(self.code[min(ord(ch), len(self.code) - 1)])
        return key | (len(term) << _KEY_BITS)

    def _keys(self, terms: list[str]) -> np.ndarray:
        """:meth:`_key` of every term, in whole-array steps: a version's load keys its whole
        vocabulary, and one term at a time took most of that load. Terms are never empty."""
        lengths = np.fromiter(map(len, terms), dtype=np.intp, count=len(terms))
        if not len(terms):
            return np.zeros(0, dtype=np.uint64)
        points = np.frombuffer("".join(terms).encode("utf-32-le"), dtype=np.uint32)
        codes = self.code[np.minimum(points, len(self.code) - 1)]
        ends = np.cumsum(lengths)
        # A character's code is shifted by ``bits`` times its place counted from its term's end.
        place = (np.repeat(ends, lengths) - 1 - np.arange(len(points))).astype(np.uint64)
        keys = np.bitwise_or.reduceat(codes << (place * np.uint64(self.bits)), ends - lengths)
        return keys | (lengths.astype(np.uint64) << np.uint64(_KEY_BITS))  # type: ignore[no-any-return]

    def counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns in increasing order, how often each occurs) of ``text``."""
        words = self.white.sub(" ", self.prepare(self.decode(text))).split()
        if not words:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        padded = " " + "  ".join(words) + " "
        points = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32)
        codes = self.code[np.minimum(points, len(self.code) - 1)]
        # A padded word shorter than every n counts once, whole (none is when n starts at 3 or less).
        short = np.asarray([self._key(f" {w} ") for w in words if len(w) + 2 < self.low] if self.low > 3 else (),
                           dtype=np.uint64)
        return _kernels.char_ngram_columns(codes, self.low, self.high, self.bits, short, self.keys, self.cols)


@dataclass
class _NgramBlock:
    """One fitted word or char block: analyzer, vocabulary, IDF, weight and column offset."""

    analyze: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray  # float32, per column of the block
    weight: float
    offset: int  # of the block's first column in the member's feature row
    word: bool  # the word block wraps texts in the edge markers (see features._block_texts)
    edges: bool
    char_keys: _CharWbKeys | None = None  # a char_wb block's terms as integers (None: the analyzer)

    def columns(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The block's (member-row) columns of ``text`` and their TF-IDF values, as _tfidf makes them."""
        if self.char_keys is not None:
            cols, counts = self.char_keys.counts(text)
            tf = counts.astype(_F32)
        else:
            cols, tf = self._counted(text)
        if not len(cols):
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=_F32)
        vals = (np.log(tf) + _ONE) * self.idf[cols]
        norm = np.sqrt(np.dot(vals, vals))
        scale = _F32(self.weight / (norm if norm != 0 else _ONE))
        return cols + self.offset, vals * scale

    def _counted(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns in increasing order, counts) through the vectorizer's own analyzer."""
        if self.word and self.edges:
            text = _block_texts("word", [text], True)[0]
        # Columns in increasing order (a CSR row's: sums then add up alike), each with its count.
        found = [j for j in map(self.vocabulary.get, self.analyze(text)) if j is not None]
        cols, counts = _kernels.counted(np.array(found, dtype=np.intp))
        return cols, counts.astype(_F32)


class _Features:
    """A fitted :class:`TextFeatures` as arrays: n-gram blocks first, then the dense blocks."""

    def __init__(self, features: TextFeatures) -> None:
        self.source = features
        self.blocks: list[_NgramBlock] = []
        offset = 0
        for (name, vec), idf in zip(features.vectorizers_, features.idf_):
            idf = np.asarray(idf, dtype=_F32)
            char_keys = _CharWbKeys.of(vec)
            self.blocks.append(_NgramBlock(vec.build_analyzer(), vec.vocabulary_, idf,
                                           float(features._weights()[name]), offset, name == "word",
                                           bool(features.edges), char_keys))
            offset += len(idf)
        self.n_sparse = offset
        self.embed = features.embed
        self.cues = features.cues_on

    def sparse(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts (indptr, indices, data) of the n-gram columns of ``texts``."""
        indptr = np.zeros(len(texts) + 1, dtype=np.intp)
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for i, text in enumerate(texts):
            n = 0
            for block in self.blocks:
                c, v = block.columns(text)
                cols.append(c)
                vals.append(v)
                n += len(c)
            indptr[i + 1] = indptr[i] + n
        if not cols:
            return indptr, np.empty(0, dtype=np.intp), np.empty(0, dtype=_F32)
        return indptr, np.concatenate(cols), np.concatenate(vals)

    def dense(self, texts: Sequence[str], memo: dict[str, np.ndarray]) -> np.ndarray | None:
        """The weighted embedding and cue columns (None when the member has neither)."""
        parts = []
        if self.embed:
            parts.append(self.source.embed_block(texts, memo))
        if self.cues:
            parts.append(self.source.cue_block(texts))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else np.hstack(parts)

    def row_entries(self, texts: Sequence[str], memo: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts of the whole feature row: the n-gram entries, then every dense column."""
        dense = self.dense(texts, memo)
        if not self.blocks:
            if dense is None:
                return np.zeros(len(texts) + 1, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0, dtype=_F32)
            n, d = dense.shape
            return (np.arange(n + 1, dtype=np.intp) * d, np.tile(np.arange(self.n_sparse, self.n_sparse + d), n),
                    dense.reshape(-1))
        indptr, cols, vals = self.sparse(texts)
        if dense is None:
            return indptr, cols, vals
        n, d = dense.shape
        dense_cols = np.arange(self.n_sparse, self.n_sparse + d, dtype=np.intp)
        lengths = np.diff(indptr)
        starts = indptr[:-1]
        all_cols, all_vals = [], []
        for i in range(n):
            all_cols += [cols[starts[i]:starts[i] + lengths[i]], dense_cols]
            all_vals += [vals[starts[i]:starts[i] + lengths[i]], dense[i].astype(_F32)]
        return (indptr + np.arange(n + 1, dtype=np.intp) * d, np.concatenate(all_cols),
                np.concatenate(all_vals))

    def full(self, texts: Sequence[str], memo: dict[str, np.ndarray]) -> np.ndarray:
        """The whole feature row as a dense float32 matrix (what a kNN head compares)."""
        dense = self.dense(texts, memo)
        width = self.n_sparse + (0 if dense is None else dense.shape[1])
        out = np.zeros((len(texts), width), dtype=_F32)
        if self.blocks:
            indptr, cols, vals = self.sparse(texts)
            rows = np.repeat(np.arange(len(texts)), np.diff(indptr))
            out[rows, cols] = vals
        if dense is not None:
            out[:, self.n_sparse:] = dense
        return out


def _linear_parts(head: Any) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """(coefficients as features × outputs, intercepts, binary) of a linear head, else None."""
    if isinstance(head, LinearHead):
        model = head.model_
        coef, intercept = np.asarray(model.coef_, dtype=np.float64), np.asarray(model.intercept_, dtype=np.float64)
        return np.ascontiguousarray(coef.T), intercept.reshape(-1), coef.shape[0] == 1
    if isinstance(head, ScoreHead):
        model = head.model_
        coef = np.asarray(model.coef_, dtype=np.float64).reshape(-1)
        intercept = np.asarray(model.intercept_, dtype=np.float64).reshape(-1)
        return np.ascontiguousarray(coef[:, None]), intercept, False
    if isinstance(head, MultiLabelHead):
        n_features = None
        for m in head.models_:
            if not isinstance(m, float):
                n_features = np.asarray(m.coef_).shape[-1]
                break
        if n_features is None:  # every label was constant in training
            return None
        coef = np.zeros((n_features, len(head.models_)))
        intercept = np.zeros(len(head.models_))
        for j, m in enumerate(head.models_):
            if isinstance(m, float):
                intercept[j] = m
            else:
                coef[:, j] = np.asarray(m.coef_, dtype=np.float64).reshape(-1)
                intercept[j] = float(np.asarray(m.intercept_).reshape(-1)[0])
        return coef, intercept, False
    return None


class _Member:
    """One compiled member: features × head → raw output, then the task's temperature."""

    def __init__(self, member: Any, task: Task, n_labels: int) -> None:
        self.weight, self.temperature = member.weight, member.temperature
        self.features = _Features(member.features)
        head = member.head
        self.knn = head if isinstance(head, KNNHead) else None
        # One text reads a fraction of the training rows (same neighbours: see .neighbours).
        self.index = pruned_index(head.X_) if self.knn is not None else None
        if self.knn is not None:
            self.knn.max_norm()  # kept by the head: computed at load, not by the first batch
        self.linear = None if self.knn is not None else _linear_parts(head)
        if self.knn is None and self.linear is None:
            raise _NotCompiled(f"head {type(head).__name__}")
        self.regressor = isinstance(head, ScoreHead)
        self.n_labels = n_labels
        self.task = task
        self.classes = getattr(head, "classes_", None)  # the task pads classes missing from the fit

    def raw(self, texts: Sequence[str], memo: dict[str, np.ndarray]) -> np.ndarray:
        """The task's raw output, from what the head's own decision_function / predict would give."""
        values = self._knn(self.features.full(texts, memo)) if self.knn is not None else self._linear(texts, memo)
        return self.task.raw_output(_Answer(values, self.classes), None, self.n_labels)

    def _linear(self, texts: Sequence[str], memo: dict[str, np.ndarray]) -> np.ndarray:
        assert self.linear is not None
        coef, intercept, binary = self.linear
        n = len(texts)
        out = np.empty((n, coef.shape[1]))
        out[:] = intercept
        indptr, cols, vals = self.features.row_entries(texts, memo)
        if len(cols):
            # Each row's entries are summed in order, whatever the batch size, so a text answers
            # the same bits alone or in a batch (a BLAS product would not promise it).
            _kernels.sparse_rows_times(coef, indptr, cols, vals.astype(np.float64), out)
        if self.regressor:
            return out[:, 0]
        if binary:  # as LinearHead: one margin m → two symmetric columns
            return np.column_stack([-out[:, 0] / 2, out[:, 0] / 2])
        return out

    def _knn(self, X: np.ndarray) -> np.ndarray:
        head = self.knn
        assert head is not None
        if X.shape[0] == 0:
            return head._block(np.zeros((1, head.X_.shape[1]), dtype=_F32))[:0]
        if X.shape[0] == 1 and self.index is not None:
            idx, top = self.index.search(X[0], head._k())
            return head.vote(idx[None], top[None])
        step = head._BATCH
        return np.concatenate([head._block(X[i : i + step]) for i in range(0, X.shape[0], step)])


class _Answer:
    """A head's answer computed by the plan, handed to ``Task.raw_output`` as if it were the head,
    so what a task does with a head's answer (padding classes missing from the fit, ...) stays
    the task's."""

    __slots__ = ("values", "classes_")

    def __init__(self, values: np.ndarray, classes: Any) -> None:
        self.values = values
        if classes is not None:
            self.classes_ = classes

    def decision_function(self, X: Any) -> np.ndarray:
        return self.values

    def predict(self, X: Any) -> np.ndarray:
        return self.values


class _Tuned:
    """The fine-tuned MiniLM's own softmax member: the network's margins are the output.

    Nothing of scikit-learn runs here; the point is to share the per-call embedding memo with
    the ``tuned-linear`` member, so the network runs once per call.
    """

    def __init__(self, member: Any, task: Task, n_labels: int) -> None:
        self.weight, self.temperature = member.weight, member.temperature
        self.features, self.task, self.n_labels = member.features, task, n_labels
        self.classes = member.head.classes_

    def raw(self, texts: Sequence[str], memo: dict[str, np.ndarray]) -> np.ndarray:
        margins = np.asarray(self.features.transform(list(texts), embeddings=memo), dtype=np.float64)
        return self.task.raw_output(_Answer(margins, self.classes), None, self.n_labels)


def _is_tuned(member: Any) -> bool:
    from .families.finetuned import PassThroughHead
    from .finetune import TunedLogits

    return isinstance(member.features, TunedLogits) and isinstance(member.head, PassThroughHead)


class _NotCompiled(Exception):
    pass


class Plan:
    """A predictor's members compiled for serving; :meth:`outputs` is ``Predictor.outputs``."""

    def __init__(self, predictor: Any) -> None:
        _kernels.warm()
        self.task = get_task(predictor.task)
        n_labels = len(predictor.labels or [])
        self.n_labels = n_labels
        # Per member: a compiled member, or the member itself (run through the reference path).
        self.members: list[_Member | Any] = []
        self.fallbacks: list[str] = []
        for m in predictor.members:
            try:
                if _is_tuned(m):
                    self.members.append(_Tuned(m, self.task, n_labels))
                    continue
                if not isinstance(m.features, TextFeatures) or not hasattr(m.features, "vectorizers_"):
                    raise _NotCompiled(f"features {type(m.features).__name__}")
                self.members.append(_Member(m, self.task, n_labels))
            except Exception as why:  # never let a plan stop a version from loading
                self.members.append(m)
                self.fallbacks.append(f"{type(why).__name__}: {why}")

    @property
    def seconds_per_text(self) -> float:
        """A rough cost of one text here (what a server weighs against a thread hop): n-grams
        and heads are tenths of a millisecond, a kNN reads its whole training matrix, and an
        embedder costs what it says (a network: milliseconds)."""
        total, embedders = 0.0, set()
        for m in self.members:
            total += 1e-4
            head = getattr(m, "knn", None)
            if head is not None:
                total += head.X_.size * 2e-10
            features = m.features.source if isinstance(m, _Member) else m.features
            name = getattr(features, "embed", None)
            if name and name not in embedders:
                embedders.add(name)
                total += float(getattr(getattr(features, "embedder", None), "seconds_per_text", 1e-3))
        return total

    def outputs(self, texts: Sequence[str], memo: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """``memo``: filled with the embeddings computed, by embedder name (a caller may reuse them)."""
        task = self.task
        total: np.ndarray | None = None
        memo = {} if memo is None else memo  # members sharing an embedder run it once
        for m in self.members:
            if isinstance(m, (_Member, _Tuned)):
                raw = m.raw(texts, memo)
            else:  # not compiled: the reference path, for this member only
                raw = task.raw_output(m.head, m.features.transform(list(texts), embeddings=memo), self.n_labels)
            out = task.apply_temperature(raw, m.temperature)
            total = out * m.weight if total is None else total + out * m.weight
        assert total is not None
        return total


def compile_plan(predictor: Any) -> Plan:
    return Plan(predictor)
