"""The console's Jinja filters: dates, durations, scores, sizes and a sample's answer, as people read them.

Kept apart from the routes so they can be tested without a request, and so templates stay
free of arithmetic.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Callable

from ..service import Run, Sample, elapsed_seconds

__all__ = ["FILTERS", "when", "iso", "duration", "score", "percent", "size", "elapsed", "target_text"]


def when(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # the store writes UTC; SQLite hands it back naive
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def score(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}" if math.isfinite(value) else str(value)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def size(n: int | float) -> str:
    """Bytes as people say them: 50 MB, 64 KB, 900 bytes (powers of 1024, as file managers mostly do)."""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= factor:
            value = n / factor
            return f"{value:.0f} {unit}" if value >= 10 or value.is_integer() else f"{value:.1f} {unit}"
    return f"{int(n)} bytes"


def elapsed(run: Run) -> str:
    """How long a run has run, as a duration."""
    return duration(elapsed_seconds(run))


def target_text(sample: Sample) -> str:
    """A sample's answer, whatever the task: a label, labels joined, or a score."""
    target = sample.target
    if target.get("label") is not None:
        return str(target["label"])
    if target.get("labels") is not None:
        return ", ".join(target["labels"])
    return score(target.get("score"))


FILTERS: dict[str, Callable[..., str]] = {
    "when": when,
    "iso": iso,
    "duration": duration,
    "score": score,
    "percent": percent,
    "size": size,
    "elapsed": elapsed,
    "target_text": target_text,
}
