"""The demo model that `make run` trains: hand-written replies, and replies it has never seen that it
must get right (an angry customer is not "friendly")."""

from __future__ import annotations

import pytest

from u22a8 import engine
from u22a8.demo import support_tone_samples
from u22a8.demo_replies import REPLIES

# Written apart from the demo data; none of these texts is in it.
PROBES = {
    "This is unacceptable, I want a refund now!!": "curt",
    "Terrible service. I want to speak to a manager right now!": "curt",
    "No. We will not refund you. Stop writing.": "curt",
    "Read the manual before contacting us.": "curt",
    "That's not our problem.": "curt",
    "Your refund was refused. Don't contact us again about it.": "curt",
    "Thanks for waiting, I've fixed it": "friendly",
    "Thank you so much, your order has shipped and should arrive tomorrow!": "friendly",
    "Happy to help, I've reset your password. Have a great day!": "friendly",
    "Great news, your account is active again!": "friendly",
    "You're welcome! Enjoy your new phone.": "friendly",
    "Glad to hear it worked out, thanks for letting us know!": "friendly",
    "So sorry for the delay, we will fix it today.": "apologetic",
    "We apologise for the late reply and the trouble with your payment.": "apologetic",
    "I'm sorry, we sent you the wrong size by mistake.": "apologetic",
    "Sorry for the confusion, that was our fault.": "apologetic",
    "Apologies for the mix-up with your invoice, it's fixed now.": "apologetic",
    "We regret the inconvenience caused by the outage.": "apologetic",
}


def test_the_demo_data_is_hand_written_not_templated() -> None:
    samples = support_tone_samples()
    texts = [s["text"] for s in samples]
    assert len(texts) >= 300 and len(set(texts)) == len(texts)
    assert {s["label"] for s in samples} == set(REPLIES) == {"friendly", "curt", "apologetic"}
    # Templated data shares its sentence openings and endings; written replies hardly do.
    for part in (lambda t: " ".join(t.split()[:3]), lambda t: " ".join(t.split()[-3:])):
        assert len({part(t) for t in texts}) > 0.8 * len(texts)
    assert not set(PROBES) & set(texts)


@pytest.fixture(scope="module")
def demo_model() -> tuple[engine.TrainingResult, engine.Predictor]:
    samples = support_tone_samples()
    result = engine.search(engine.Dataset("classify", [s["text"] for s in samples], [s["label"] for s in samples]), "low")
    return result, engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))


def test_the_demo_model_gets_every_held_out_probe_right(demo_model: tuple[engine.TrainingResult, engine.Predictor]) -> None:
    result, predictor = demo_model
    got = {text: out["label"] for text, out in zip(PROBES, predictor.predict(list(PROBES)))}
    wrong = {text: (got[text], want) for text, want in PROBES.items() if got[text] != want}
    assert not wrong, wrong
    # Real data is not perfectly separable: cross-validation says so instead of a toy's 1.000.
    assert 0.85 <= result.metrics["accuracy"] < 1.0
