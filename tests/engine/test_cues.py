"""Tone cues (engine/cues.py) and the optional cue block of TextFeatures, with tiny in-test data."""

from __future__ import annotations

import pickle
import random

import numpy as np
import optuna
import pytest

from u22a8 import engine
from u22a8.engine import Dataset
from u22a8.engine.cues import CUE_NAMES, cue_matrix, text_cues
from u22a8.engine.families import LinearHead
from u22a8.engine.features import TextFeatures
from u22a8.engine.space import suggest_member
from u22a8.engine.training import Workspace


def test_polite_request_and_blunt_question_show_opposite_strategies() -> None:
    polite = text_cues("Hi! Could you please take a look at the report when you have time? Thanks a lot.")
    blunt = text_cues("Why did you revert my edit? You should stop this nonsense!!")
    for cue in ("greeting", "counterfactual", "counterfactual_start", "please", "gratitude", "conditional"):
        assert polite[cue] > 0 and blunt[cue] == 0, cue
    for cue in ("why_start", "indicative", "obligation", "negative", "repeated_punctuation", "second_person_start"):
        assert blunt[cue] > 0 and polite[cue] == 0, cue
    assert polite["sentiment"] > 0 > blunt["sentiment"]


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Sorry to bother you, the link is broken.", "apology"),
        ("Sorry to bother you, the link is broken.", "apology_start"),
        ("I think maybe the date is wrong.", "hedge"),
        ("Great question! The answer is in the docs.", "deference"),
        ("By the way, did the refund go through?", "indirect"),
        ("In fact, the order was shipped.", "factuality"),
        ("So what happened to my order?", "direct_start"),
        ("Stop changing the title.", "imperative_start"),
        ("I would like to know the status.", "first_person_start"),
        ("You broke the page.", "second_person_start"),
        ("WHY IS THIS STILL BROKEN", "shouting"),
        ("thanks :)", "emoticon"),
    ],
)
def test_each_strategy_is_detected(text: str, cue: str) -> None:
    assert text_cues(text)[cue] > 0
    assert text_cues("the order arrived on tuesday")[cue] == 0  # and a neutral statement shows none


def test_please_opening_a_command_differs_from_please_softening_a_request() -> None:
    opening, softening = text_cues("Please fix the title."), text_cues("Could you fix the title, please?")
    assert opening["please_start"] == 1 and opening["please_late"] == 0
    assert softening["please_start"] == 0 and softening["please_late"] == 1


def test_curly_apostrophes_and_case_do_not_hide_cues() -> None:
    assert text_cues("I\u2019d like a refund")["counterfactual"] > 0
    assert text_cues("COULD YOU help")["counterfactual_start"] == 1


def test_cue_matrix_is_per_text_and_bounded() -> None:
    texts = ["Could you please help?", "", "Why?!", "x" * 5000]
    m = cue_matrix(texts)
    assert m.shape == (4, len(CUE_NAMES)) and m.dtype == np.float32 and np.isfinite(m).all()
    assert not m[1].any()  # an empty text has no cues
    # A row depends on its own text only: the same text gives the same row in any company.
    np.testing.assert_array_equal(cue_matrix(["Why?!"])[0], m[2])
    assert np.abs(m).max() < 5


def _tone_data(forms: dict[str, list[str]], n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    filler = ["the", "ticket", "order", "page", "account", "invoice", "today", "report"]
    texts, labels = [], []
    for _ in range(n):
        label = rng.choice(sorted(forms))
        texts.append(f"{rng.choice(forms[label])} {' '.join(rng.sample(filler, 3))}")
        labels.append(label)
    return texts, labels


def test_cues_carry_a_strategy_to_wordings_never_seen_in_training() -> None:
    """Trained on some ways of being polite or blunt, a model with cues recognises other ways."""
    train_x, train_y = _tone_data({"polite": ["thanks, could you check", "please, would you look at"],
                                   "blunt": ["why did you break", "you must fix"]}, 80, seed=0)
    test_x, test_y = _tone_data({"polite": ["much appreciated, might you review", "i'd appreciate it if you could see"],
                                 "blunt": ["why do you keep breaking", "you need to stop"]}, 40, seed=1)
    accuracy = {}
    for weight in (0.0, 2.0):
        tf = TextFeatures(char_ngrams=None, cues_weight=weight).fit(train_x)
        head = LinearHead(C=1.0).fit(tf.transform(train_x), np.array(train_y))
        pred = head.classes_[head.decision_function(tf.transform(test_x)).argmax(axis=1)]
        accuracy[weight] = float(np.mean(pred == np.array(test_y)))
    assert accuracy[2.0] >= 0.9 and accuracy[2.0] > accuracy[0.0]


def test_features_with_cues_survive_pickle_and_predict_identically() -> None:
    texts = ["Could you please help?", "Why did you do that?", "Thanks so much!", "Stop it now."]
    y = np.array(["polite", "rude", "polite", "rude"])
    tf = TextFeatures(cues_weight=1.5).fit(texts)
    head = LinearHead().fit(tf.transform(texts), y)
    tf2, head2 = pickle.loads(pickle.dumps((tf, head)))
    new = ["Would you mind checking?", "Why is this broken?!"]
    assert (tf2.transform(new) != tf.transform(new)).nnz == 0
    np.testing.assert_array_equal(head2.decision_function(tf2.transform(new)), head.decision_function(tf.transform(new)))
    assert tf.transform(new).shape[1] == TextFeatures().fit(texts).transform(new).shape[1] + len(CUE_NAMES)


def test_features_pickled_before_cues_existed_still_load_and_work() -> None:
    texts = ["Could you please help?", "Why did you do that?"]
    old = TextFeatures().fit(texts)
    del old.__dict__["cues_weight"]  # what an artifact from before the cue block holds
    loaded = pickle.loads(pickle.dumps(old))
    assert loaded.get_params()["cues_weight"] == 0.0 and "TextFeatures" in repr(loaded)
    assert loaded.transform(texts).shape == TextFeatures().fit(texts).transform(texts).shape


def test_old_params_without_cue_keys_refit_as_before() -> None:
    data = Dataset("classify", ["thanks a lot", "many thanks", "could you please", "why did you", "stop that",
                                "you must not"] * 4, (["polite"] * 3 + ["rude"] * 3) * 4)
    old_member = {"features": {"word_ngrams": [1, 2], "char_ngrams": [2, 5], "word_weight": 1.0, "char_weight": 1.0,
                               "lowercase": True, "edges": True, "embed": None, "embed_weight": 2.0},
                  "model": {"family": "svm", "C": 0.5, "class_weight": None}, "weight": 1.0}
    result = engine.refit(data, {"format": 1, "task": "classify", "members": [old_member]})
    assert result.params["members"][0]["features"] == old_member["features"]
    p = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    assert p.members[0].features.cues_on == 0.0
    with_cues = engine.refit(data, {"format": 1, "task": "classify",
                                    "members": [{**old_member, "features": {**old_member["features"], "cues_weight": 1.0}}]})
    q = engine.load_predictor(with_cues.artifact, engine.artifact_checksum(with_cues.artifact))
    assert q.members[0].features.cues_on == 1.0
    assert q.predict(["thanks, could you please"])[0]["label"] == "polite"


def test_fold_matrices_match_features_fitted_on_the_fold_alone() -> None:
    """No leakage: a fold's held-out rows look exactly as they would to features fitted on its
    training rows only, cue columns included, and are unaffected by other rows' texts."""
    texts = [f"{w} you check the page {i}" for i, w in enumerate(["could", "why did", "please", "thanks"] * 6)]
    labels = ["polite" if i % 4 in (0, 2, 3) else "rude" for i in range(len(texts))]
    features = {"word_ngrams": [1, 2], "char_ngrams": None, "cues_weight": 1.5}
    ws = Workspace(Dataset("classify", texts, labels))
    for fold in range(len(ws.folds)):
        train, test = ws.folds[fold]
        x_train, x_test = ws.matrices(features, fold)
        alone = TextFeatures(word_ngrams=(1, 2), char_ngrams=None, cues_weight=1.5).fit([texts[i] for i in train])
        np.testing.assert_allclose(x_train.toarray(), alone.transform([texts[i] for i in train]).toarray(), rtol=1e-5)
        np.testing.assert_allclose(x_test.toarray(), alone.transform([texts[i] for i in test]).toarray(), rtol=1e-5)
    # Changing a training text of fold 0 changes nothing in fold 0's held-out cue columns.
    train, test = ws.folds[0]
    edited = list(texts)
    edited[train[0]] = "WHY?!! STOP!!"
    ws2 = Workspace(Dataset("classify", edited, labels))
    cues = slice(-len(CUE_NAMES), None)
    np.testing.assert_array_equal(ws.matrices(features, 0)[1].toarray()[:, cues],
                                  ws2.matrices(features, 0)[1].toarray()[:, cues])


def test_search_space_offers_cues_but_keeps_enqueued_defaults_unchanged() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"knn": False, "word_ngrams": "1-2", "char_ngrams": "2-5", "char_weight": 1.0,
                         "lowercase": True, "class_weight": "none", "family": "svm", "svm_C": 0.5, "embed": False})
    members = []
    for _ in range(20):
        trial = study.ask()
        members.append(suggest_member(trial, "classify", embed=False, n_samples=100, n_labels=2, cues=True))
        study.tell(trial, 0.5)
    assert "cues_weight" not in members[0]["features"]  # trial 0: the known-good default as it was
    weights = [m["features"].get("cues_weight") for m in members[1:]]
    assert any(w is None for w in weights) and any(w is not None and 0.5 <= w <= 3.0 for w in weights)
    # A space without cues (effort low) never offers them.
    for _ in range(10):
        trial = study.ask()
        assert "cues_weight" not in suggest_member(trial, "classify", embed=False, n_samples=100, n_labels=2,
                                                   cues=False)["features"]
        study.tell(trial, 0.5)
    # Replaying a trial (as a shared search does) gives back its cue choice, or none if it had none.
    replay = optuna.trial.FixedTrial(study.trials[0].params)
    assert "cues_weight" not in suggest_member(replay, "classify", embed=False, n_samples=100, n_labels=2,
                                               cues=True)["features"]
