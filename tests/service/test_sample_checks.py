"""The quick check of common samples accepts exactly what the full check (SampleIn) accepts, with the same result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from u22a8.service.samples import _Common, _one
from u22a8.settings import Settings

ITEMS: list[Any] = [
    {"text": "plain", "label": "a"}, {"text": "plain", "label": "a", "id": "x1", "weight": 2},
    {"text": "plain", "label": "a", "weight": 0.5}, {"text": "plain", "labels": ["b", "a", "a"]},
    {"text": "plain", "score": 3}, {"text": "plain", "score": -0.25}, {"text": "plain", "score": 10 ** 300},
    {"text": "plain", "score": 10 ** 400}, {"text": "plain", "score": True}, {"text": "plain", "score": float("nan")},
    {"text": "plain", "label": "a", "weight": True}, {"text": "plain", "label": "a", "weight": "2"},
    {"text": "plain", "label": "a", "weight": 0}, {"text": "plain", "label": "a", "weight": 1e7},
    {"text": "plain", "label": "a", "weight": None}, {"text": "plain", "label": "a", "weight": 10 ** 400},
    {"text": "", "label": "a"}, {"text": " \t\u2003", "label": "a"}, {"text": "a\x00b", "label": "a"},
    {"text": "a\ud800", "label": "a"}, {"text": "é ünïcode ✓", "label": "é"}, {"text": 5, "label": "a"},
    {"text": "x" * 101, "label": "a"}, {"text": "plain", "label": ""}, {"text": "plain", "label": " "},
    {"text": "plain", "label": "l" * 201}, {"text": "plain", "label": "a\x00"}, {"text": "plain", "label": "\udc00"},
    {"text": "plain", "label": 3}, {"text": "plain", "label": None}, {"text": "plain", "label": "c"},
    {"text": "plain", "labels": []}, {"text": "plain", "labels": ["a", 1]}, {"text": "plain", "labels": "a"},
    {"text": "plain", "id": ""}, {"text": "plain", "label": "a", "id": "i" * 201}, {"text": "plain", "label": "a", "id": 7},
    {"text": "plain", "label": "a", "id": "a\x00"}, {"text": "plain", "label": "a", "id": "\ud800"},
    {"text": "plain", "label": "a", "metadata": {"k": 1}}, {"text": "plain", "label": "a", "metadata": None},
    {"text": "plain", "label": "a", "colour": "red"}, {"text": "plain", "label": "a", "score": None},
    {"text": "plain", "label": "a", "labels": ["a"]}, {"__error__": "the row has more fields than the header"},
    ["not", "an", "object"], None,
]


@pytest.mark.parametrize("task", ["classify", "multilabel", "score"])
@pytest.mark.parametrize("allowed", [None, {"a", "b", "é"}])
def test_the_quick_check_agrees_with_the_full_one(tmp_path: Path, task: str, allowed: set[str] | None) -> None:
    settings = Settings(home=tmp_path, max_text_chars=100)
    common = _Common(task, allowed, settings.max_text_chars)
    quick = 0
    for item in ITEMS * 2:  # twice: the second time every label is one the check has seen
        fast = common.sample(item)
        if fast is not None:
            quick += 1
            assert fast == _one(item, task, allowed, settings), item
    assert quick >= 2  # the common samples of every task do take the quick way
