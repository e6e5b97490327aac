"""Each task object validates and parses its own targets, with the messages users are shown."""

from __future__ import annotations

from typing import Any

import pytest

from u22a8.engine import get_task


def fields(**given: Any) -> dict[str, Any]:
    return {"label": None, "labels": None, "score": None, **given}


@pytest.mark.parametrize(
    ("task", "given", "allowed", "expected"),
    [
        ("classify", fields(label="a"), None, {"label": "a"}),
        ("classify", fields(label="a"), ["b"], "label 'a' is not one of the model's labels"),
        ("classify", fields(label=" "), None, "bad label ' '"),
        ("classify", fields(), None, "a classify sample needs exactly a 'label' field"),
        ("classify", fields(label="a", score=1.0), None, "a classify sample needs exactly a 'label' field (got label, score)"),
        ("multilabel", fields(labels=["b", "a", "b"]), None, {"labels": ["a", "b"]}),
        ("multilabel", fields(labels=[]), None, "labels is empty"),
        ("multilabel", fields(labels=["a", "x" * 201]), None, f"bad label {'x' * 40!r}"),
        ("multilabel", fields(label="a"), None, "a multilabel sample needs exactly a 'labels' field (got label)"),
        ("score", fields(score=0.5), None, {"score": 0.5}),
        ("score", fields(labels=["a"]), None, "a score sample needs exactly a 'score' field (got labels)"),
    ],
)
def test_submitted_targets_are_checked_by_their_task(task: str, given: dict[str, Any], allowed: list[str] | None,
                                                     expected: Any) -> None:
    assert get_task(task).stored_target(given, allowed, max_label_chars=200) == expected


@pytest.mark.parametrize(
    ("task", "stored", "value"),
    [("classify", {"label": "a"}, "a"), ("multilabel", {"labels": ["a", "b"]}, ["a", "b"]),
     ("score", {"score": 2}, 2.0)],
)
def test_stored_targets_parse_into_the_engines_values(task: str, stored: dict[str, Any], value: Any) -> None:
    assert get_task(task).parse_target(stored) == value
    assert get_task(task).target_shape in stored
