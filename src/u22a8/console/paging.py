"""Paging links for the console's cursor-paged lists (models, samples), forwards and back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

__all__ = ["BACK_MAX", "Pager", "pager", "parse_back"]

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
