"""Field rules every front door applies alike, and the error that names the refused field.

The API's request schemas state the same limits (they refuse a body before the service sees
it); a console form reaches the service with plain strings, and meets them here, in the same
words.
"""

from __future__ import annotations

from ..errors import InvalidRequest

__all__ = ["LABEL_MAX", "InvalidField", "check_id", "check_labels", "check_max_length", "check_number_range", "check_text",
           "id_problem", "is_unicode"]

LABEL_MAX = 200


class InvalidField(InvalidRequest):
    """A refused input that names its field, so a form can mark and focus it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def check_labels(labels: list[str] | None) -> list[str] | None:
    """A label set: each label 1-``LABEL_MAX`` characters without NUL or ``|``, none repeated."""
    if labels is None:
        return None
    for label in labels:
        if not label.strip() or len(label) > LABEL_MAX or "\x00" in label or "|" in label:
            raise InvalidField("labels", f"labels: bad label {label!r}: labels are 1-{LABEL_MAX} characters, "
                                         "without NUL or '|'")
    if len(set(labels)) != len(labels):
        raise InvalidField("labels", "labels: labels repeat")
    return labels


def check_max_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidField(field, f"{field}: String should have at most {limit} characters")


def check_number_range(field: str, value: float, low: float, high: float) -> None:
    if value < low:
        raise InvalidField(field, f"{field}: Input should be greater than or equal to {low:g}")
    if value > high:
        raise InvalidField(field, f"{field}: Input should be less than or equal to {high:g}")


def is_unicode(value: str) -> bool:
    """Whether ``value`` can be stored and answered as UTF-8: JSON may spell a lone surrogate
    (``"\\ud800"``), which Python decodes but no database or encoder on the way out accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(value: str) -> str:
    """A sample's or a pool text's ``text``: not blank, no NUL byte, storable as UTF-8 (the one
    rule both validate with; a pydantic validator raises its ValueError as a field error)."""
    if not value.strip():
        raise ValueError("text is empty")
    if "\x00" in value:
        raise ValueError("text contains a NUL byte")
    if not is_unicode(value):
        raise ValueError("text is not valid Unicode (a lone surrogate)")
    return value


def id_problem(value: str) -> str | None:
    """What is wrong with a sample's or a pool text's ``id`` (its length is the schema's), or None.
    A NUL byte is refused like in texts: PostgreSQL cannot store it."""
    if "\x00" in value:
        return "id contains a NUL byte"
    if not is_unicode(value):
        return "id is not valid Unicode (a lone surrogate)"
    return None


def check_id(value: str | None) -> str | None:
    """A sample's or a pool text's ``id``: the one rule both validate with (see :func:`id_problem`)."""
    problem = None if value is None else id_problem(value)
    if problem:
        raise ValueError(problem)
    return value
