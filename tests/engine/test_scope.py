"""Out-of-scope fallback and likely label errors, as a user of the engine meets them."""

from __future__ import annotations

import random

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine.fallback import RULES, choose_fallback, fallback_predictions
from u22a8.engine.label_issues import rank_label_issues

from .conftest import FILLER, classify_data

INTENTS = {
    "balance": ["balance", "how much money", "funds left", "account total", "what is in my account"],
    "transfer": ["send money", "transfer", "wire", "pay my friend", "move funds"],
    "card_lost": ["lost my card", "card stolen", "block my card", "missing card", "card gone"],
    "pin": ["change my pin", "forgot pin", "reset pin code", "new pin", "pin blocked"],
}
OFF_TOPIC = ["what is the weather tomorrow", "tell me a joke", "who won the football game", "play some music",
             "recipe for pancakes", "how tall is the eiffel tower", "book a table for two", "what time is it in tokyo",
             "sing me a song", "translate hello to french", "best movie of the year", "how old is the moon"]


def intent_data(seed: int = 0, with_fallback: bool = True) -> engine.Dataset:
    rng = random.Random(seed)
    texts, labels = [], []
    for label, phrases in INTENTS.items():
        for _ in range(16):
            texts.append(f"{rng.choice(['please', 'hi', 'hey', 'can you'])} {rng.choice(phrases)} "
                         f"{rng.choice(['now', 'today', 'thanks', 'quickly'])}")
            labels.append(label)
    if with_fallback:
        for text in OFF_TOPIC:
            texts.append(text)
            labels.append("out_of_scope")
    return engine.Dataset("classify", texts, labels, fallback_label="out_of_scope")


@pytest.fixture(scope="module")
def intent_model() -> tuple[engine.TrainingResult, engine.Predictor]:
    result = engine.search(intent_data(), "low")
    return result, engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))


def test_gibberish_gets_the_fallback_with_the_real_scores(intent_model) -> None:  # type: ignore[no-untyped-def]
    _, predictor = intent_model
    gib, inside = predictor.predict(["qzxv blorptk fnarglwup zzyx", "hi lost my card today"])
    assert gib["label"] == "out_of_scope" and gib["fallback"] is True
    assert set(gib["scores"]) == set(INTENTS)  # the real labels' scores, not the fallback's
    assert inside["label"] == "card_lost" and inside["fallback"] is False


def test_version_metrics_and_report_describe_the_fallback(intent_model) -> None:  # type: ignore[no-untyped-def]
    result, _ = intent_model
    fb = result.metrics["fallback"]
    assert fb["label"] == "out_of_scope" and fb["rule"] in RULES
    for name in ("in_scope_accuracy", "fallback_recall", "fallback_precision", "threshold"):
        assert 0.0 <= fb[name] <= 1.0
    assert fb["fallback_examples"] == len(OFF_TOPIC)
    assert set(result.report["fallback"]) == {"in_scope_fell_back", "fallback_missed"}


def test_a_model_without_fallback_examples_tunes_on_classes_left_out_of_a_refit() -> None:
    result = engine.search(intent_data(with_fallback=False), "low")
    predictor = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    assert result.metrics["fallback"]["measured_on"] == "held-out texts of classes left out of a refit"
    assert predictor.predict(["hey send money now"])[0]["label"] == "transfer"


def test_min_precision_trades_recall_for_precision() -> None:
    rng = np.random.default_rng(0)
    labels = ["a", "b", "oos"]
    y = np.array([0] * 100 + [1] * 100 + [2] * 40)
    probs = rng.dirichlet([1, 1, 1], size=len(y))
    probs[y == 0, 0] += 1.5 * rng.random(100)
    probs[y == 1, 1] += 1.5 * rng.random(100)
    probs = probs / probs.sum(axis=1, keepdims=True)
    _, loose, _ = choose_fallback(y, probs, labels, "oos", None)
    _, strict, _ = choose_fallback(y, probs, labels, "oos", 0.9)
    assert strict["fallback_precision"] >= 0.9 or strict["threshold"] == 0.0
    assert strict["fallback_recall"] <= loose["fallback_recall"]


def test_texts_far_from_every_training_text_fall_back_even_when_the_model_is_sure() -> None:
    # Unseen intents land confidently on a known label (like in-scope texts) but lie farther from
    # the training texts: only the rule that also weighs nearness catches them.
    rng = np.random.default_rng(1)
    labels = ["a", "b", "oos"]
    y = np.array([0] * 100 + [1] * 100)
    def sure(n: int) -> np.ndarray:
        top = rng.uniform(0.6, 1.0, n)
        return np.column_stack([top, 1 - top, np.zeros(n)])
    held, unseen = sure(200), sure(60)
    near_held, near_unseen = rng.uniform(0.5, 0.9, 200), rng.uniform(0.2, 0.5, 60)
    plain, plain_metrics, _ = choose_fallback(y, held, labels, "oos", None, unseen)
    decision, metrics, _ = choose_fallback(y, held, labels, "oos", None, unseen, (near_held, near_unseen))
    assert decision["rule"] == "probability_and_nearness" and set(decision["params"]) == {"probability", "nearness"}
    def both(m: dict) -> float:  # type: ignore[type-arg]
        return float(m["in_scope_accuracy"] + m["fallback_recall"])
    assert metrics["fallback_recall"] > 0.9 and both(metrics) > both(plain_metrics) + 0.2
    # served: the same decision on new rows, given their nearness
    out = np.array([[0.9, 0.1, 0.0], [0.9, 0.1, 0.0]])
    far, close = fallback_predictions(out, labels, decision, None, np.array([0.25, 0.8]))
    assert far["fallback"] is True and close == {**close, "label": "a", "fallback": False}


def test_a_version_whose_rule_weighs_nearness_keeps_the_training_vectors_and_serves_with_them() -> None:
    result = engine.search(intent_data(with_fallback=False), "low")
    predictor = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    assert predictor.fallback is not None
    if predictor.fallback["rule"] != "probability_and_nearness":
        pytest.skip(f"the search chose {predictor.fallback['rule']} on this data")
    kept = predictor.fallback["neighbours"]
    assert kept["vectors"].dtype == np.float16 and len(kept["vectors"]) == len(intent_data(with_fallback=False).texts)
    assert result.metrics["fallback"]["nearness_from"] == kept["embedder"]
    gib, inside = predictor.predict(["qzxv blorptk fnarglwup zzyx", "hey send money now"])
    assert gib["fallback"] is True and inside["label"] == "transfer"


def test_fallback_predictions_honour_top_k() -> None:
    out = np.array([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    decision = {"label": "oos", "column": 2, "rule": "max_probability", "threshold": 0.5}
    first, second = fallback_predictions(out, ["a", "b", "oos"], decision, top_k=1)
    assert first["fallback"] and first["scores"] == {"b": 0.3}
    assert second == {"label": "a", "confidence": 0.9, "fallback": False, "scores": {"a": 0.9}}


def test_a_planted_mislabeled_sample_is_found_first_and_flagged() -> None:
    data = classify_data(n_per_label=20)
    targets = list(data.targets)
    planted = next(i for i, t in enumerate(targets) if t == "friendly")
    targets[planted] = "curt"
    result = engine.search(engine.Dataset("classify", data.texts, targets), "low")
    first = result.label_issues[0]
    assert (first["index"], first["label"], first["suggested_label"], first["flagged"]) == (planted, "curt", "friendly", True)
    counts = result.metrics["label_issues"]
    assert counts["listed"] == len(result.label_issues)
    assert counts["flagged"] == sum(i["flagged"] for i in result.label_issues) >= 1


def test_planted_errors_lead_the_list_and_only_they_are_flagged() -> None:
    # Two confusable classes (a, b) and a clear one (c): the model's out-of-fold view of them.
    rng = np.random.default_rng(0)
    labels = ["a", "b", "c"]
    y = np.repeat([0, 1, 2], 40)
    probs = np.vstack([rng.dirichlet([8, 2, 0.5], 40), rng.dirichlet([2, 8, 0.5], 40), rng.dirichlet([0.3, 0.3, 12], 40)])
    planted = [5, 45]  # clearly c, labeled a and b
    probs[planted] = [[0.01, 0.02, 0.97], [0.02, 0.01, 0.97]]
    leaning = 6  # an a the model leans to b on, keeping far more of a than b's samples give a
    probs[leaning] = [0.4, 0.55, 0.05]
    found = rank_label_issues(probs, y, labels)
    assert [(f["index"], f["suggested_label"], f["flagged"]) for f in found[:2]] == [(5, "c", True), (45, "c", True)]
    assert (leaning, "b", False) in [(f["index"], f["suggested_label"], f["flagged"]) for f in found]
    selfc = [f["self_confidence"] for f in found]
    assert selfc == sorted(selfc)


def test_confident_learning_flags_only_confident_disagreements() -> None:
    labels = ["a", "b"]
    y = np.array([0, 0, 0, 1, 1, 1])
    # b is a hard class (its own samples average 0.56): row 5's 0.48 is ordinary for b, and its
    # 0.52 for a is below what a's samples get, so it is listed (the model leans to a) but not
    # flagged; row 2 is flagged.
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.1, 0.9], [0.4, 0.6], [0.4, 0.6], [0.52, 0.48]])
    found = rank_label_issues(probs, y, labels)
    assert [(f["index"], f["suggested_label"], f["flagged"]) for f in found] == [(2, "b", True), (5, "a", False)]


def test_the_unseen_class_check_names_the_fine_tuned_members_key() -> None:
    from u22a8.engine import finetuned_members, unseen

    assert unseen._TUNED == finetuned_members.FT_KEY


def test_with_too_few_classes_to_leave_one_out_it_tunes_on_simulated_rows() -> None:
    data = intent_data(with_fallback=False)
    keep = [i for i, t in enumerate(data.targets) if t != "pin"]
    three = engine.Dataset("classify", [data.texts[i] for i in keep], [data.targets[i] for i in keep],
                           fallback_label="out_of_scope")
    assert engine.search(three, "low").metrics["fallback"]["measured_on"] == "simulated"


def test_a_retrain_chooses_the_fallback_again_and_finds_label_issues(intent_model) -> None:  # type: ignore[no-untyped-def]
    result, _ = intent_model
    data = intent_data()
    targets = list(data.targets)
    targets[0] = "transfer" if targets[0] != "transfer" else "balance"
    again = engine.refit(engine.Dataset("classify", data.texts, targets, fallback_label="out_of_scope"), result.params)
    assert again.metrics["fallback"]["label"] == "out_of_scope"
    predictor = engine.load_predictor(again.artifact, engine.artifact_checksum(again.artifact))
    assert predictor.predict(["qzxv blorptk fnarglwup zzyx"])[0]["fallback"] is True
    assert 0 in [i["index"] for i in again.label_issues]
