"""The compiled serving path (engine/fast_path.py) gives the outputs of the scikit-learn path.

Every registered family, on every task it serves, with every feature block of TextFeatures,
alone and together, is compiled (no member falls back) and answers within 1e-6 of
``Predictor.reference_outputs``. The registries are enumerated: a family, task or feature
parameter added later fails here until the plan compiles it and this file covers it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine import Dataset, family_names, get_family, get_task, neighbours, task_names
from u22a8.engine.embeddings import get_embedder, register_embedder
from u22a8.engine.families.finetuned import PassThroughHead
from u22a8.engine.features import TextFeatures
from u22a8.engine.finetune import TunedLogits
from u22a8.engine.predictor import Member, Predictor

from .conftest import classify_data, multilabel_data, score_data

DATA = {"classify": classify_data, "multilabel": multilabel_data, "score": score_data}
# Texts the models never saw: unknown words, an empty text, punctuation only, long and non-ASCII.
PROBES = ["thanks, that is wonderful", "", "?!", "refund refund refund my card please",
          "Ünïcödé résumé naïve café 你好", "zzzz qqqq " * 40, "sorry no denied, the policy is closed"]

FAKE = "fake-embedder"


class HashEmbedder:
    """Unit vectors from a hash of each word: cheap, deterministic, no network."""

    name = FAKE
    version = "hash:24"
    dim = 24

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in str(text).lower().split():
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                out[i] += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out


class FakeTunedEncoder(HashEmbedder):
    """What a fine-tuned encoder offers a predictor: a name, ``encode`` and ``logits``."""

    name = "minilm-ft-fake"
    portable = False

    def __init__(self, n_labels: int) -> None:
        self.w = np.random.default_rng(1).standard_normal((n_labels, self.dim))

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        return np.asarray(embeddings, dtype=np.float64) @ self.w.T


register_embedder(FAKE, HashEmbedder)


@pytest.fixture(autouse=True)
def _pruned_knn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kNN member here answers one text through the pruned index (served models get it
    from 2,048 training rows), a batch through the product: both are compared with the head."""
    monkeypatch.setattr(neighbours, "MIN_PRUNED_ROWS", 1)

# Every TextFeatures parameter, and the variants below that exercise it.
FEATURES: dict[str, dict[str, Any]] = {
    "word": {"word_ngrams": (1, 2), "char_ngrams": None, "word_weight": 0.7, "edges": True},
    "word_no_edges": {"word_ngrams": (1, 3), "char_ngrams": None, "edges": False, "lowercase": False},
    "char": {"word_ngrams": None, "char_ngrams": (2, 4), "char_weight": 1.3},
    "embed": {"word_ngrams": None, "char_ngrams": None, "embed": FAKE, "embed_weight": 1.5},
    "cues": {"word_ngrams": None, "char_ngrams": None, "cues_weight": 0.8},
    "all": {"word_ngrams": (1, 2), "char_ngrams": (2, 5), "embed": FAKE, "embed_weight": 2.0, "cues_weight": 0.5},
}
COVERED_PARAMS = {"word_ngrams", "char_ngrams", "word_weight", "char_weight", "lowercase", "edges", "embed",
                  "embed_weight", "embedder", "cues_weight"}


def _member(task: str, family: str, features: dict[str, Any], data: Dataset, weight: float = 1.0,
            temperature: float = 0.7) -> tuple[Member, list[str] | None]:
    t = get_task(task)
    labels, y = t.encode(data.targets)
    tf = TextFeatures(**features)
    if tf.embed:
        tf.embedder = get_embedder(tf.embed)
    X = tf.fit(data.texts).transform(data.texts)
    fam = get_family(family)
    head = fam.make_head(t, fam.default_model(), seed=0)
    head.fit(X, y)
    return Member(tf, head, weight, temperature), labels


def _assert_same(predictor: Predictor, texts: list[str]) -> None:
    plan = predictor.compile()
    assert plan.fallbacks == [], plan.fallbacks
    for m in plan.members:
        if getattr(m, "knn", None) is not None and m.knn.X_.shape[1] <= neighbours.MAX_PRUNED_DIM:
            assert m.index is not None
    fast, ref = predictor.outputs(texts), predictor.reference_outputs(texts)
    assert fast.shape == ref.shape
    # 1e-6, relative where a value is above 1: scikit-learn's ridge keeps float32 features in
    # float32, so a score of 2 carries its rounding of about 2.4e-7 per step (seen: 1.15e-6 apart
    # on a score of 2.1 with scikit-learn 1.9), while probabilities and margins stay near 1.
    np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-6)
    for text in texts:  # one text at a time takes its own branch
        np.testing.assert_allclose(predictor.outputs([text]), predictor.reference_outputs([text]), rtol=1e-6, atol=1e-6)


def test_every_feature_parameter_is_covered() -> None:
    assert set(TextFeatures().get_params()) == COVERED_PARAMS, "a new TextFeatures block: cover it in FEATURES"


def test_every_task_has_data_here() -> None:
    assert set(task_names()) <= set(DATA), "a new task: add its small dataset to DATA"


def _cases() -> list[tuple[str, str]]:
    return [(family, task) for family in family_names() for task in task_names()
            if get_family(family).serves(get_task(task)) and family != "finetuned"]


@pytest.mark.parametrize("family,task", _cases())
@pytest.mark.parametrize("variant", sorted(FEATURES))
def test_compiled_member_answers_like_scikit_learn(family: str, task: str, variant: str) -> None:
    data = DATA[task]()
    member, labels = _member(task, family, FEATURES[variant], data)
    predictor = Predictor(task, labels, [member])
    _assert_same(predictor, PROBES + list(data.texts[:20]))


def test_every_registered_family_is_compiled_here() -> None:
    """finetuned has its own test below; every other family is in _cases()."""
    covered = {family for family, _ in _cases()} | {"finetuned"}
    assert set(family_names()) == covered


@pytest.mark.parametrize("task", ["classify", "multilabel", "score"])
def test_ensembles_mix_like_scikit_learn(task: str) -> None:
    data = DATA[task]()
    linear = get_task(task).default_family
    a, labels = _member(task, linear, FEATURES["all"], data, weight=0.5, temperature=0.4)
    b, _ = _member(task, "knn", FEATURES["embed"], data, weight=0.3, temperature=1.7)
    c, _ = _member(task, linear, FEATURES["char"], data, weight=0.2, temperature=1.0)
    thresholds = [0.4] * len(labels) if task == "multilabel" else None
    predictor = Predictor(task, labels, [a, b, c], thresholds=thresholds)
    _assert_same(predictor, PROBES + list(data.texts))
    texts = PROBES + list(data.texts[:10])
    assert predictor.predict(texts, top_k=2) == Predictor(task, labels, [a, b, c], thresholds=thresholds).predict(texts, top_k=2)


def test_a_class_missing_from_the_fit_and_binary_heads_are_padded_like_the_task_does() -> None:
    data = classify_data()
    two = Dataset("classify", [t for t, y in zip(data.texts, data.targets) if y != "sorry"],
                  [y for y in data.targets if y != "sorry"])
    member, _ = _member("classify", "svm", FEATURES["word"], two)  # binary: one margin
    _assert_same(Predictor("classify", ["curt", "friendly", "sorry"], [member]), PROBES)
    for family in ("sgd", "logreg", "knn"):
        member, labels = _member("classify", family, FEATURES["all"], two)
        _assert_same(Predictor("classify", labels, [member]), PROBES)


def test_a_multilabel_label_constant_in_training_keeps_its_constant_margin() -> None:
    data = multilabel_data()
    targets = [sorted(set(t) | {"always"}) for t in data.targets]
    member, labels = _member("multilabel", "svm", FEATURES["word"], Dataset("multilabel", data.texts, targets))
    assert labels is not None and "always" in labels
    _assert_same(Predictor("multilabel", labels, [member]), PROBES)


def test_fine_tuned_members_share_one_encoding_per_call() -> None:
    data = classify_data()
    labels = sorted(set(data.targets))
    encoder = FakeTunedEncoder(len(labels))
    calls: list[int] = []
    encode = encoder.encode
    encoder.encode = lambda texts: calls.append(len(texts)) or encode(texts)  # type: ignore[method-assign]
    softmax = Member(TunedLogits(encoder), PassThroughHead(len(labels)), 0.6, 0.5)  # type: ignore[arg-type]
    tf = TextFeatures(word_ngrams=(1, 2), char_ngrams=None, embed=encoder.name, embed_weight=1.0, embedder=encoder)
    X = tf.fit(data.texts).transform(data.texts)
    head = get_family("svm").make_head(get_task("classify"), get_family("svm").default_model())
    head.fit(X, np.array([labels.index(y) for y in data.targets]))
    predictor = Predictor("classify", labels, [softmax, Member(tf, head, 0.4, 0.8)])
    _assert_same(predictor, PROBES)
    calls.clear()
    predictor.outputs(PROBES)
    assert calls == [len(PROBES)]


def test_the_plan_is_not_stored_and_is_rebuilt_on_load() -> None:
    data = classify_data()
    member, labels = _member("classify", "svm", FEATURES["word"], data)
    predictor = Predictor("classify", labels, [member])
    predictor.compile()
    artifact = engine.dump_predictor(predictor)
    loaded = engine.load_predictor(artifact, engine.artifact_checksum(artifact))
    assert "_plan" in loaded.__dict__  # compiled at load, not on the first request
    np.testing.assert_allclose(loaded.outputs(PROBES), predictor.reference_outputs(PROBES), rtol=0, atol=1e-6)


@pytest.mark.parametrize("k", [3, 25, 200])
def test_knn_with_k_beyond_the_class_sizes_and_tied_duplicates_answers_like_the_head(k: int) -> None:
    """20 texts per label (k=25 takes more than a class has), 60 in all (k=200 takes every row),
    and the same texts again under another label: exact ties that straddle the k-th place."""
    data = classify_data()
    flipped = {"friendly": "curt", "curt": "sorry", "sorry": "friendly"}
    tied = Dataset("classify", list(data.texts) + list(data.texts[:15]),
                   list(data.targets) + [flipped[y] for y in data.targets[:15]])
    for variant in ("embed", "word"):
        t = get_task("classify")
        labels, y = t.encode(tied.targets)
        tf = TextFeatures(**FEATURES[variant])
        if tf.embed:
            tf.embedder = get_embedder(tf.embed)
        head = get_family("knn").make_head(t, {"family": "knn", "k": k, "tau": 0.05})
        head.fit(tf.fit(tied.texts).transform(tied.texts), y)
        predictor = Predictor("classify", labels, [Member(tf, head, 1.0, 0.9)])
        _assert_same(predictor, PROBES + list(tied.texts))


def test_knn_on_the_static_vectors_answers_like_the_head() -> None:
    """The low effort's partner: kNN on the distilled MiniLM (prepared by `make install`)."""
    from u22a8.engine.static_embeddings import STATIC

    assert engine.static_missing() is None
    data = classify_data()
    features = {"word_ngrams": None, "char_ngrams": None, "embed": STATIC, "embed_weight": 1.0}
    member, labels = _member("classify", "knn", features, data, weight=0.4, temperature=1.3)
    linear, _ = _member("classify", "svm", FEATURES["word"], data, weight=0.6, temperature=0.5)
    predictor = Predictor("classify", labels, [linear, member])
    assert predictor.compile().members[1].index is not None
    _assert_same(predictor, PROBES + list(data.texts))


def test_a_knn_heads_cached_row_norm_is_not_stored() -> None:
    """The kNN head keeps its rows' largest norm once computed; an artifact must not carry it."""
    data = classify_data()
    member, labels = _member("classify", "knn", FEATURES["embed"], data)
    predictor = Predictor("classify", labels, [member])
    predictor.compile()
    assert "_xmax" in member.head.__dict__
    artifact = engine.dump_predictor(predictor)
    assert b"_xmax" not in artifact
    loaded = engine.load_predictor(artifact, engine.artifact_checksum(artifact))
    np.testing.assert_allclose(loaded.outputs(PROBES), predictor.reference_outputs(PROBES), rtol=0, atol=1e-6)


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 4), (2, 5), (4, 6)])
@pytest.mark.parametrize("strip_accents", [None, "unicode"])
def test_char_ngrams_found_as_integer_keys_are_the_analyzers_terms(ngram_range: tuple[int, int],
                                                                   strip_accents: str | None) -> None:
    """Every text's char n-grams, counted: tabs, runs of spaces, one-letter words (shorter than
    the smallest n when it is 4), characters the vocabulary never had, accents, empty texts."""
    from collections import Counter

    from sklearn.feature_extraction.text import CountVectorizer

    from u22a8.engine.fast_path import _CharWbKeys

    rng = np.random.default_rng(0)
    alphabet = list("abcdeé XYZ\t\nß") + ["€", "日", "\u00a0", "İ"]

    def text() -> str:
        return "".join(rng.choice(alphabet, size=int(rng.integers(0, 30))))

    vec = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range, strip_accents=strip_accents)
    vec.fit([text() for _ in range(200)])
    keys = _CharWbKeys.of(vec)
    assert keys is not None
    analyze, vocab = vec.build_analyzer(), vec.vocabulary_
    assert keys._keys(list(vocab)).tolist() == [keys._key(term) for term in vocab]  # whole-array = one by one
    for t in [text() for _ in range(500)] + ["", " ", "a", "a b", *PROBES]:
        want = sorted((vocab[term], n) for term, n in Counter(analyze(t)).items() if term in vocab)
        cols, counts = keys.counts(t)
        assert list(zip(cols.tolist(), counts.tolist())) == want, repr(t)


def test_char_ngrams_too_long_for_a_key_go_through_the_analyzer() -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    from u22a8.engine.fast_path import _CharWbKeys

    texts = ["".join(chr(0x4E00 + (i * 7 + j) % 3000) for j in range(12)) for i in range(400)]
    wide = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit(texts)  # ~3000 characters: 12 bits a code
    assert _CharWbKeys.of(wide) is not None
    assert _CharWbKeys.of(CountVectorizer(analyzer="char_wb", ngram_range=(2, 6)).fit(texts)) is None


_LOAD_THEN_PREDICT = """
import json, sys
from u22a8 import engine
from u22a8.engine import _kernels, neighbours
neighbours.MIN_PRUNED_ROWS = 1
kernels = [_kernels.counted, _kernels.char_ngram_columns, _kernels.sparse_rows_times, _kernels.int8_candidates]
compiled = lambda: [len(k.signatures) for k in kernels]
before = compiled()
artifact = open(sys.argv[1], "rb").read()
predictor = engine.load_predictor(artifact, engine.artifact_checksum(artifact))
loaded = compiled()
for texts in (["one text"], ["two", "texts"], [""], ["Ünïcödé résumé naïve café"]):
    predictor.predict(texts)
print(json.dumps({"before": before, "loaded": loaded, "served": compiled()}))
"""


def test_a_loaded_version_has_its_kernels_compiled_before_its_first_request(tmp_path: Any) -> None:
    """A request never waits for numba: loading compiles (or reads from numba's cache) every
    kernel of the plan for the types it passes, and predictions add no other. A fresh process,
    so that no earlier test compiled them."""
    import json
    import subprocess
    import sys

    data = classify_data()
    svm, labels = _member("classify", "svm", FEATURES["word"] | {"char_ngrams": (2, 4)}, data)
    knn, _ = _member("classify", "knn", FEATURES["char"], data)
    artifact = engine.dump_predictor(Predictor("classify", labels, [svm, knn]))
    path = tmp_path / "artifact"
    path.write_bytes(artifact)
    out = subprocess.run([sys.executable, "-c", _LOAD_THEN_PREDICT, str(path)], capture_output=True, text=True,
                         check=True, timeout=300)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["before"] == [0, 0, 0, 0]
    assert all(n >= 1 for n in seen["loaded"]), seen
    assert seen["served"] == seen["loaded"], seen
