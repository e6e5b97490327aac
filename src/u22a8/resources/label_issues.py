"""Label issues: samples whose given label the active version finds unlikely (issue 12)."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import shown

__all__ = ["LabelIssue"]


@dataclass(frozen=True)
class LabelIssue:
    sample_id: str = shown()
    text: str = shown()
    label: str = shown()
    suggested_label: str = shown()
    # The out-of-fold probability of the given label when the version was trained.
    self_confidence: float = shown()
    # 1 = most suspect among the items still listed.
    rank: int = shown()
    # True: confident enough to relabel to the suggestion unread (engine/label_issues.py);
    # False: listed for its low self-confidence, worth a look.
    flagged: bool = shown()
