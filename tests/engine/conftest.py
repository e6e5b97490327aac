"""Small synthetic datasets, made here so the engine's tests need no files."""

from __future__ import annotations

import random

import numpy as np
import pytest

from u22a8.engine import Dataset

FILLER = ["the", "order", "account", "refund", "card", "today", "your", "we", "it", "ticket", "please", "my"]
VOCAB = {
    "friendly": ["thanks", "happy", "glad", "wonderful", "great", "cheers", "lovely"],
    "curt": ["no", "denied", "stop", "policy", "closed", "refused", "never"],
    "sorry": ["sorry", "apologies", "regret", "mistake", "unfortunately", "oops", "forgive"],
}


def classify_data(n_per_label: int = 20, seed: int = 0) -> Dataset:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, vocab in VOCAB.items():
        for i in range(n_per_label):
            texts.append(" ".join(rng.sample(vocab, 2) + rng.sample(FILLER, 4)) + f" n{rng.randint(0, 999)}")
            labels.append(label)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return Dataset("classify", [texts[i] for i in order], [labels[i] for i in order])


def multilabel_data(n: int = 80, seed: int = 0) -> Dataset:
    """Each text mentions 0-2 topics; its labels are exactly the topics mentioned."""
    rng = random.Random(seed)
    topics = {"billing": ["invoice", "charge", "payment"], "shipping": ["delivery", "parcel", "courier"],
              "login": ["password", "signin", "locked"]}
    texts, targets = [], []
    for _ in range(n):
        chosen = rng.sample(sorted(topics), rng.choice([0, 1, 1, 2]))
        words = [rng.choice(topics[t]) for t in chosen] + rng.sample(FILLER, 4)
        rng.shuffle(words)
        texts.append(" ".join(words))
        targets.append(sorted(chosen))
    return Dataset("multilabel", texts, targets)


def score_data(n: int = 60, seed: int = 0) -> Dataset:
    """The score is the number of 'good' words minus the number of 'bad' ones, plus noise."""
    rng = random.Random(seed)
    texts, scores = [], []
    for _ in range(n):
        good, bad = rng.randint(0, 3), rng.randint(0, 3)
        words = ["excellent"] * good + ["awful"] * bad + rng.sample(FILLER, 3)
        rng.shuffle(words)
        texts.append(" ".join(words))
        scores.append(good - bad + rng.gauss(0, 0.1))
    return Dataset("score", texts, scores)


@pytest.fixture
def clf_data() -> Dataset:
    return classify_data()


def assert_jsonable(obj: object) -> None:
    import json

    json.dumps(obj, allow_nan=False)
    assert not isinstance(obj, np.generic)
