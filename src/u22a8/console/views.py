"""Presentation helpers: template filters and the shapes the report templates draw.

Kept apart from the routes so they can be tested without a request, and so templates stay
free of arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlencode

__all__ = ["FILTERS", "HeatCell", "Pager", "heatmap", "pager", "per_class_rows", "scalar_metrics", "target_text"]

HEAT_LEVELS = 10  # CSS classes heat-0 … heat-9; classes rather than inline styles keep the CSP strict


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


FILTERS: dict[str, Callable[..., str]] = {
    "when": when,
    "iso": iso,
    "duration": duration,
    "score": score,
    "percent": percent,
    "size": size,
}


def target_text(sample: Any) -> str:
    """A sample's answer, whatever the task: a label, labels joined, or a score."""
    if getattr(sample, "label", None) is not None:
        return str(sample.label)
    if getattr(sample, "labels", None) is not None:
        return ", ".join(sample.labels)
    return score(getattr(sample, "score", None))


@dataclass(frozen=True)
class HeatCell:
    count: int | float
    share: float  # of the true label's row: that is what a reader compares along a row
    level: int
    diagonal: bool


def heatmap(confusion: Any) -> tuple[list[str], list[list[HeatCell]]] | None:
    """``{labels, matrix}`` → labels and rows of cells, or None if the shape is not one we know."""
    if not isinstance(confusion, dict):
        return None
    labels, matrix = confusion.get("labels"), confusion.get("matrix")
    if not isinstance(labels, list) or not isinstance(matrix, list) or len(matrix) != len(labels):
        return None
    rows: list[list[HeatCell]] = []
    for i, row in enumerate(matrix):
        if not isinstance(row, list) or len(row) != len(labels):
            return None
        # Counts stay whole numbers when they are (weighted samples can make them fractional).
        counts = [(int(c) if float(c).is_integer() else float(c)) if isinstance(c, (int, float)) else 0 for c in row]
        total = sum(counts)
        cells = []
        for j, count in enumerate(counts):
            share = count / total if total > 0 else 0.0
            level = min(HEAT_LEVELS - 1, int(share * HEAT_LEVELS)) if count > 0 else 0
            cells.append(HeatCell(count=count, share=share, level=level, diagonal=i == j))
        rows.append(cells)
    return [str(label) for label in labels], rows


def per_class_rows(per_class: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(per_class, dict):
        return []
    return [(str(label), stats) for label, stats in per_class.items() if isinstance(stats, dict)]


# Metrics with their own presentation (or bookkeeping) are left out of the plain list.
_SPECIAL = {"confusion", "per_class", "primary_name"}


def scalar_metrics(metrics: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """The single-number metrics of a version as (name, value, is_primary), primary first.

    ``primary`` usually repeats a named metric (``primary_name``); it is then shown once,
    under its own name, marked as the one the search optimised.
    """
    primary_name = metrics.get("primary_name")
    named = isinstance(primary_name, str) and primary_name in metrics
    out = []
    for k, v in metrics.items():
        if k in _SPECIAL or (k == "primary" and named):
            continue
        if v is None or isinstance(v, (int, float, str, bool)):
            is_primary = k == primary_name if named else k == "primary"
            name = str(primary_name) if k == "primary" and isinstance(primary_name, str) else k
            out.append((name, v, is_primary))
    return sorted(out, key=lambda item: (not item[2], item[0]))


# ---- paging ------------------------------------------------------------------------------
# The store pages forwards only (a cursor names the last row of the page before). To go back,
# the pages' query strings carry the cursors that led here: ``back=c1,c2`` on the page reached
# with ``after=c3`` means page 1 (no cursor) → after=c1 → after=c2 → here. The stack is capped
# so URLs stay short; past the cap the oldest cursors are dropped and a ``*`` marks the gap,
# after which only "First page" can go further back.
BACK_MAX = 20
_GAP = "*"


@dataclass(frozen=True)
class Pager:
    """Query strings (without ``?``) for the first, previous and next page; None when not offered."""

    first: str | None
    previous: str | None
    next: str | None
    here: str  # this page's own query, to come back to after a form on it
    after: str = ""  # this page's cursor and stack, for forms that come back here
    back: str = ""


def _query(after: str | None, back: list[str], extra: dict[str, str]) -> str:
    params = {k: v for k, v in extra.items() if v}
    if after is not None:
        params["after"] = after
        if back:
            params["back"] = ",".join(back)
    return urlencode(params)


def parse_back(raw: str | None, valid: Callable[[str], bool]) -> list[str]:
    """The cursor stack from a query string; a tampered or stale one is dropped, not an error."""
    if not raw:
        return []
    items = raw.split(",")
    gap = items[0] == _GAP
    body = items[1:] if gap else items
    if not all(valid(c) for c in body):
        return []
    if len(body) + gap > BACK_MAX:
        body, gap = body[-(BACK_MAX - 1):], True
    return [_GAP] * gap + body


def pager(after: str | None, back: list[str], next_after: str | None, **extra: str) -> Pager:
    """Links around the page reached with cursor ``after`` (None: the first page) and stack ``back``."""
    if after is None:
        back = []
    previous: str | None = None
    if after is not None:
        if not back:
            previous = _query(None, [], extra)
        elif back != [_GAP]:
            previous = _query(back[-1], back[:-1], extra)
    forward: str | None = None
    if next_after is not None:
        stack = back + [after] if after is not None else []
        if len(stack) > BACK_MAX:
            stack = [_GAP] + stack[-(BACK_MAX - 1):]
        forward = _query(next_after, stack, extra)
    return Pager(first=_query(None, [], extra) if after is not None else None, previous=previous,
                 next=forward, here=_query(after, back, extra), after=after or "",
                 back=",".join(back) if after is not None else "")
