"""A small labeled dataset the project writes itself, for the quickstart and the tests.

Support replies in three tones. Built from phrase parts so it needs no files and no downloads.
"""

from __future__ import annotations

import itertools
import random

__all__ = ["support_tone_samples", "DEMO_HANDLE"]

DEMO_HANDLE = "demo.support-tone"

_PARTS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "friendly": (
        ["Thanks so much for reaching out!", "Happy to help!", "Great question!", "Thanks for your patience!",
         "Hi there, lovely to hear from you!", "Good news!"],
        ["I've fixed the issue with your account", "your refund is on its way", "I've reset your password for you",
         "the replacement card has shipped", "I've updated your address", "your order is back on track"],
        ["Have a wonderful day!", "Let me know if there's anything else I can do :)", "Enjoy!",
         "We're always here if you need us.", "Cheers!", "Take care!"],
    ),
    "curt": (
        ["Read the FAQ.", "As stated before,", "Again:", "No.", "Not our problem.", "Per policy,"],
        ["the refund was denied", "you need to fill in the form yourself", "we can't change that",
         "the ticket is closed", "that is not supported", "you should have checked the terms"],
        ["Do not reply to this message.", "That's all.", "Nothing more to add.", "End of discussion.",
         "Figure it out.", "Stop emailing us."],
    ),
    "apologetic": (
        ["I'm so sorry for the trouble.", "Please accept our apologies.", "We deeply regret the delay.",
         "I apologise for the confusion.", "Sorry about that mix-up.", "We're sorry this happened."],
        ["the payment failed on our side", "your parcel was sent to the wrong address",
         "the outage affected your account", "we charged you twice by mistake", "the update broke your settings",
         "we missed your earlier message"],
        ["We'll make it right as soon as we can.", "It won't happen again.", "Thank you for bearing with us.",
         "We've added a credit to make up for it.", "I'll personally follow up tomorrow.",
         "Sorry again for the inconvenience."],
    ),
}


def support_tone_samples(per_label: int = 60, seed: int = 7) -> list[dict[str, str]]:
    """``per_label`` samples of each tone, shuffled deterministically."""
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    for label, (openers, middles, closers) in _PARTS.items():
        combos = list(itertools.product(openers, middles, closers))
        rng.shuffle(combos)
        for opener, middle, closer in combos[:per_label]:
            out.append({"text": f"{opener} {middle[0].upper() + middle[1:]}. {closer}", "label": label})
    rng.shuffle(out)
    return out
