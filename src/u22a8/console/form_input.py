"""Form strings → the service's arguments, and refusals worded for the form that caused them.

The rules themselves are the service's; this module only reads what a browser sends (a comma
list, a number typed in a box, a file's extension) and names the field a refusal belongs to.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import InvalidRequest
from ..service import InvalidField
from .form_parsing import Upload

__all__ = ["split_labels", "quiet_seconds", "fallback_fields", "uploaded_file", "prediction_inputs", "settings_refusal"]

# A file's extension picks the parser, as Content-Type does for the API.
_UPLOAD_TYPES = {".csv": "text/csv", ".ndjson": "application/x-ndjson", ".jsonl": "application/x-ndjson",
                 ".json": "application/json"}


def split_labels(text: str) -> list[str] | None:
    """A comma-separated label set; empty means an open set (None)."""
    return [x.strip() for x in text.split(",") if x.strip()] or None


def quiet_seconds(text: str) -> float | None:
    """The quiet-seconds box: empty keeps the setting; anything else must be a finite number."""
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidField("quiet_seconds", "quiet seconds: enter a number of seconds, e.g. 30")
    return value


def fallback_fields(label: str, min_precision: str, shown: bool) -> dict[str, Any]:
    """The fallback boxes as ``update_model`` arguments: empty boxes turn the setting off; a page
    without the boxes (not a classify model) leaves both alone."""
    if not shown:
        return {}
    precision: float | None = None
    if min_precision.strip():
        try:
            precision = float(min_precision)
        except ValueError:
            precision = math.nan
        if not math.isfinite(precision):
            raise InvalidField("fallback_min_precision", "fallback_min_precision: enter a number from 0 to 1, e.g. 0.9")
    return {"fallback_label": label.strip() or None, "fallback_min_precision": precision}


def uploaded_file(upload: Upload | None) -> tuple[bytes, str]:
    """The file's bytes and the Content-Type its extension stands for."""
    if upload is None or not upload.filename:
        raise InvalidRequest("choose a CSV file to upload")
    suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    return upload.data, _UPLOAD_TYPES.get(suffix, "text/csv")


def prediction_inputs(text: str) -> list[str]:
    """One input per non-empty line."""
    inputs = [line for line in text.splitlines() if line.strip()]
    if not inputs:
        raise InvalidRequest("type at least one text to predict")
    return inputs


def settings_refusal(exc: InvalidRequest) -> InvalidField | None:
    """A refused settings form, tied to the box to mark; None when no box is to blame."""
    if isinstance(exc, InvalidField):
        if exc.field.endswith("quiet_seconds"):
            return InvalidField("quiet_seconds", "quiet seconds: " + exc.detail.split(": ", 1)[-1])
        return exc
    if "labels_outside" in exc.extra:
        return InvalidField("labels", exc.detail + " — delete or relabel those samples first, or keep "
                                                   "those labels in the set")
    return None
