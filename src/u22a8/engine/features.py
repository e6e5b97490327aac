"""Text → feature matrix: word and character n-gram TF-IDF, optionally ⊕ a sentence embedding
⊕ tone cues (:mod:`.cues`).

Each block is L2-normalised on its own (the cue block: scaled to a norm near 1) and then scaled
by its weight, so a weight says how much a block counts relative to the others regardless of how
many columns it has. The embedding and cue blocks are dense and come last, in that order.

Counting n-grams is the expensive part of TF-IDF; the IDF is cheap. :class:`CountedTexts` counts
every text of a dataset once and then produces the exact matrices a :class:`TextFeatures` fitted
on any subset of rows would produce (terms unseen in that subset get dropped, IDF is computed on
that subset only), so cross-validation folds and the final fit share one counting pass without
leaking held-out vocabulary into training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from .cues import cue_matrix

__all__ = ["TextFeatures", "CountedTexts", "TOKEN_PATTERN", "weighted_cues"]

# Keep one-character words ("i", "2") and punctuation ("?", "£"): they carry intent in short texts.
TOKEN_PATTERN = r"(?u)\b\w+\b|[^\w\s]"
# Word-block markers for the start and end of a text, so "how could" at the start of a request
# differs from the same words mid-sentence (it helps on tone, see bench/RESULTS.md).
EDGE_START, EDGE_END = "xxstart", "xxend"


def _vectorizers(word_ngrams: Sequence[int] | None, char_ngrams: Sequence[int] | None,
                 lowercase: bool) -> list[tuple[str, CountVectorizer]]:
    out: list[tuple[str, CountVectorizer]] = []
    if word_ngrams:
        out.append(("word", CountVectorizer(ngram_range=tuple(word_ngrams), token_pattern=TOKEN_PATTERN,  # type: ignore[arg-type]
                                            lowercase=lowercase, dtype=np.float32)))
    if char_ngrams:
        out.append(("char", CountVectorizer(analyzer="char_wb", ngram_range=tuple(char_ngrams),  # type: ignore[arg-type]
                                            lowercase=lowercase, dtype=np.float32)))
    return out


def _block_texts(name: str, texts: list[str], edges: bool) -> list[str]:
    if name == "word" and edges:
        return [f"{EDGE_START} {t} {EDGE_END}" for t in texts]
    return texts


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray, weight: float) -> sp.csr_matrix:
    """Sublinear TF × IDF, rows L2-normalised, times the block weight."""
    m = counts.astype(np.float32, copy=True)
    np.log(m.data, out=m.data)
    m.data += 1.0
    m = sp.csr_matrix(m.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    scale = (weight / norms).astype(np.float32)
    return sp.csr_matrix(m.multiply(scale[:, None]), dtype=np.float32)


class TextFeatures(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """Sparse TF-IDF blocks, plus a dense embedding block when ``embed`` names an embedder, plus
    a dense tone-cue block when ``cues_weight`` > 0.

    ``embedder`` is the object that turns texts into vectors (see :mod:`.embeddings`); it is not
    a tuning parameter, so it is passed in rather than looked up by name. Cues are computed per
    text with fixed scaling (nothing fitted), so fitting needs nothing for them.
    """

    def __init__(
        self,
        word_ngrams: tuple[int, int] | None = (1, 2),
        char_ngrams: tuple[int, int] | None = (2, 5),
        word_weight: float = 1.0,
        char_weight: float = 1.0,
        lowercase: bool = True,
        edges: bool = True,
        embed: str | None = None,
        embed_weight: float = 2.0,
        embedder: Any = None,
        cues_weight: float = 0.0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.lowercase = lowercase
        self.edges = edges
        self.embed = embed
        self.embed_weight = embed_weight
        self.embedder = embedder
        self.cues_weight = cues_weight

    @property
    def cues_on(self) -> float:
        """The cue block's weight, 0 when off. Legacy artifacts pickled before cues existed lack
        the attribute (unpickling skips ``__init__``), hence the default."""
        return float(getattr(self, "cues_weight", 0.0) or 0.0)

    def _weights(self) -> dict[str, float]:
        return {"word": float(self.word_weight), "char": float(self.char_weight)}

    def fit(self, texts: Sequence[str], y: Any = None) -> "TextFeatures":
        counted = CountedTexts(texts, self.word_ngrams, self.char_ngrams, self.lowercase, self.edges)
        self._fit_from(counted, np.arange(len(texts)))
        return self

    def _fit_from(self, counted: "CountedTexts", rows: np.ndarray) -> tuple[sp.csr_matrix, list[np.ndarray]]:
        """Fit on ``rows`` of already-counted texts.

        Returns their sparse blocks and, per block, the counted columns that were kept.
        """
        if not counted.blocks and not self.embed and not self.cues_on:
            raise ValueError("TextFeatures needs at least one of word_ngrams, char_ngrams, embed or cues_weight")
        self.vectorizers_, self.idf_, parts, keeps = [], [], [], []
        for name, vec, counts in counted.blocks:
            sub = counts[rows]
            keep = np.flatnonzero(np.bincount(sub.indices, minlength=sub.shape[1]))
            sub = sub[:, keep]
            idf = _idf(sub)
            # A vectorizer restricted to the kept terms, in the kept order: predict-time output
            # then matches the training columns exactly.
            terms = counted.terms[name][keep]
            fitted = CountVectorizer(**vec.get_params())
            fitted.vocabulary_ = {t: i for i, t in enumerate(terms)}
            self.vectorizers_.append((name, fitted))
            self.idf_.append(idf)
            keeps.append(keep)
            parts.append(_tfidf(sub, idf, self._weights()[name]))
        self.n_sparse_ = sum(p.shape[1] for p in parts)
        x = sp.hstack(parts, format="csr") if parts else sp.csr_matrix((len(rows), 0), dtype=np.float32)
        return x, keeps

    def transform(self, texts: Sequence[str], embeddings: dict[str, np.ndarray] | None = None) -> sp.csr_matrix:
        """``embeddings``: a per-call memo (embedder name → unweighted vectors of ``texts``), so the
        members of an ensemble that share an embedder run the network once."""
        check_is_fitted(self, "vectorizers_")
        texts = list(texts)
        parts = [
            _tfidf(sp.csr_matrix(vec.transform(_block_texts(name, texts, self.edges)), dtype=np.float32), idf,
                   self._weights()[name])
            for (name, vec), idf in zip(self.vectorizers_, self.idf_)
        ]
        if self.embed:
            parts.append(sp.csr_matrix(self.embed_block(texts, embeddings)))
        if self.cues_on:
            parts.append(sp.csr_matrix(self.cue_block(texts)))
        return sp.hstack(parts, format="csr") if len(parts) > 1 else parts[0]

    def cue_block(self, texts: Sequence[str]) -> np.ndarray:
        """The weighted tone-cue columns of ``texts`` (empty when cues are off)."""
        return weighted_cues(texts, self.cues_on)

    def embed_block(self, texts: Sequence[str], embeddings: dict[str, np.ndarray] | None = None) -> np.ndarray:
        if self.embedder is None:
            raise RuntimeError("embed is set but no embedder was given")
        memo = embeddings if embeddings is not None else {}
        if self.embed not in memo:
            memo[str(self.embed)] = np.asarray(self.embedder.encode(list(texts)), dtype=np.float32)
        return memo[str(self.embed)] * np.float32(self.embed_weight)

    def __getstate__(self) -> dict[str, Any]:
        # The embedder holds a loaded network: ship its name only and reattach on load. Each
        # vocabulary is stored as arrays (see _pack_vectorizer), not as a dict of terms.
        state = dict(self.__dict__)
        if state.get("embedder") is not None:
            state["embedder"] = None
        if "vectorizers_" in state:
            state["vectorizers_"] = [_pack_vectorizer(name, vec) for name, vec in state["vectorizers_"]]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Artifacts from before the cue block have no cues_weight; get_params (and so repr and
        # clone) would fail on them without it. Off is what they were fitted with. Legacy
        # artifacts hold fitted vectorizers as (name, CountVectorizer) pairs: kept as they are.
        state = {"cues_weight": 0.0, **state}
        if "vectorizers_" in state:
            state["vectorizers_"] = [_unpack_vectorizer(v) if isinstance(v, dict) else v for v in state["vectorizers_"]]
        super().__setstate__(state)


# A fitted vectorizer as stored: its settings as plain values (the dtype by name) and its
# vocabulary as one UTF-8 array of the terms in column order, separated by newlines (no built-in
# analyzer makes a term with a newline; a vocabulary that has one stores the end of each term
# instead). A dict of every n-gram would store one object per term: far larger and slower.
_VECTORIZER_SETTINGS = ("input", "encoding", "decode_error", "strip_accents", "lowercase", "token_pattern",
                        "ngram_range", "analyzer", "max_df", "min_df", "max_features", "binary", "dtype")


def _pack_vectorizer(name: str, vec: CountVectorizer) -> dict[str, Any]:
    params = vec.get_params()
    if params.get("preprocessor") or params.get("tokenizer") or params.get("stop_words") or params.get("vocabulary"):
        raise ValueError(f"the {name} vectorizer has settings an artifact cannot store")
    settings = {k: params[k] for k in _VECTORIZER_SETTINGS}
    settings["ngram_range"] = [int(n) for n in settings["ngram_range"]]
    settings["dtype"] = np.dtype(settings["dtype"]).name
    terms: list[str] = [""] * len(vec.vocabulary_)
    for term, column in vec.vocabulary_.items():
        terms[column] = term
    ends = None
    if any("\n" in t for t in terms):
        ends = np.cumsum(np.fromiter(map(len, terms), dtype=np.int64, count=len(terms)), dtype=np.int64)
    joined = "".join(terms) if ends is not None else "\n".join(terms)
    return {"name": name, "settings": settings, "count": len(terms), "ends": ends,
            "terms": np.frombuffer(joined.encode("utf-8"), dtype=np.uint8).copy()}


def _unpack_vectorizer(packed: dict[str, Any]) -> tuple[str, CountVectorizer]:
    settings = {k: packed["settings"][k] for k in _VECTORIZER_SETTINGS}
    settings["ngram_range"] = tuple(int(n) for n in settings["ngram_range"])
    settings["dtype"] = np.dtype(str(settings["dtype"])).type
    if not isinstance(settings["analyzer"], str):
        raise ValueError("a stored vectorizer's analyzer must be a name")
    count = int(packed["count"])
    text = np.asarray(packed["terms"], dtype=np.uint8).tobytes().decode("utf-8")
    if packed.get("ends") is None:
        terms = text.split("\n") if count else []
    else:
        ends = np.asarray(packed["ends"], dtype=np.int64)
        if len(ends) and (ends[-1] != len(text) or ends[0] < 0 or np.any(np.diff(ends) < 0)):
            raise ValueError("a stored vocabulary's term ends do not fit its text")
        terms = [text[a:b] for a, b in zip([0, *ends[:-1].tolist()], ends.tolist())]
    vocabulary = dict(zip(terms, range(len(terms))))
    if len(terms) != count or len(vocabulary) != count:
        raise ValueError("a stored vocabulary does not hold the terms it counts")
    vec = CountVectorizer(**settings)
    vec.vocabulary_ = vocabulary
    return str(packed["name"]), vec


def weighted_cues(texts: Sequence[str], weight: float) -> np.ndarray:
    """Tone cues of ``texts`` times ``weight``; no columns at all when the weight is 0.

    A function of the texts alone, so a workspace may compute it once for all rows and slice
    folds from it (as it does the embeddings) without leaking anything between folds.
    """
    if not weight:
        return np.zeros((len(texts), 0), dtype=np.float32)
    return cue_matrix(list(texts)) * np.float32(weight)


class CountedTexts:
    """All texts of a dataset counted once, for every fold and the final fit to slice from."""

    def __init__(self, texts: Sequence[str], word_ngrams: Sequence[int] | None, char_ngrams: Sequence[int] | None,
                 lowercase: bool = True, edges: bool = True) -> None:
        self.n = len(texts)
        self.word_ngrams, self.char_ngrams, self.lowercase, self.edges = word_ngrams, char_ngrams, lowercase, edges
        self.blocks: list[tuple[str, CountVectorizer, sp.csr_matrix]] = []
        self.terms: dict[str, np.ndarray] = {}
        texts = list(texts)
        for name, vec in _vectorizers(word_ngrams, char_ngrams, lowercase):
            counts = sp.csr_matrix(vec.fit_transform(_block_texts(name, texts, edges)), dtype=np.float32)
            self.blocks.append((name, vec, counts))
            self.terms[name] = vec.get_feature_names_out()

    @classmethod
    def from_parts(cls, n: int, parts: list[tuple[str, CountVectorizer, sp.csr_matrix, np.ndarray]], *,
                   word_ngrams: Sequence[int] | None, char_ngrams: Sequence[int] | None, lowercase: bool,
                   edges: bool) -> "CountedTexts":
        """Counts made elsewhere (see :mod:`.counts_cache`): per block, its name, an unfitted
        vectorizer with the block's settings, the counts and the sorted terms of its columns."""
        self = cls.__new__(cls)
        self.n = n
        self.word_ngrams, self.char_ngrams, self.lowercase, self.edges = word_ngrams, char_ngrams, lowercase, edges
        self.blocks = [(name, vec, counts) for name, vec, counts, _ in parts]
        # Plain str terms, as a fresh count has: they end up as vocabulary keys in artifacts.
        self.terms = {name: np.array(terms.tolist(), dtype=object) for name, _, _, terms in parts}
        return self

    def fold(self, features: TextFeatures, train: np.ndarray, test: np.ndarray,
             dense: np.ndarray | None = None) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Matrices for ``train`` and ``test`` rows, as ``features`` fitted on ``train`` would give.

        ``dense`` is the (already weighted) embedding block for all rows, if any.
        """
        x_train, keeps = features._fit_from(self, train)
        tests = [
            _tfidf(counts[test][:, keep], idf, features._weights()[name])
            for (name, _, counts), keep, idf in zip(self.blocks, keeps, features.idf_)
        ]
        x_test = sp.hstack(tests, format="csr") if tests else sp.csr_matrix((len(test), 0), dtype=np.float32)
        if dense is not None:
            x_train = sp.hstack([x_train, sp.csr_matrix(dense[train])], format="csr")
            x_test = sp.hstack([x_test, sp.csr_matrix(dense[test])], format="csr")
        return x_train, x_test
