"""Counts put in words, for the messages that say what a dataset lacks."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["describe_counts"]


def describe_counts(counts: Mapping[str, int]) -> str:
    if not counts:
        return "there are no samples yet"
    # Most frequent first, ties in the order given (as Counter.most_common does).
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:6]
    shown = ", ".join(f"{lab!r}: {c}" for lab, c in top)
    more = f" and {len(counts) - 6} more" if len(counts) > 6 else ""
    return f"have {shown}{more}"
