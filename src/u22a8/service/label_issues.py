"""Likely label errors of a model's active version: list, dismiss (issue 12).

The list shows training texts, so only those who may read the model's samples see it (the
samples rule: a platform model's readers may not). Relabeling is no action of its own: it is an
ordinary sample upload with the sample's id and the new label, so the guarded retrain follows.
"""

from __future__ import annotations

from ..errors import InvalidRequest
from ..store import ApiKey, LabelIssue
from .access import check_sample_access, checked_handle, enter
from .platform import Platform

__all__ = ["LABEL_ISSUES_LIMIT_MAX", "list_label_issues", "dismiss_label_issue"]

LABEL_ISSUES_LIMIT_MAX = 500
SAMPLE_ID_MAX = 200


def list_label_issues(platform: Platform, key: ApiKey, handle: str, *, limit: int = 50) -> list[LabelIssue]:
    """The active version's likely label errors, most suspect first, less those dismissed or fixed."""
    check_sample_access(key, checked_handle(handle))
    if not 1 <= limit <= LABEL_ISSUES_LIMIT_MAX:
        raise InvalidRequest(f"limit: Input should be between 1 and {LABEL_ISSUES_LIMIT_MAX}")
    return platform.store.label_issues.list(handle, limit)


def dismiss_label_issue(platform: Platform, key: ApiKey, handle: str, sample_id: str) -> None:
    """The sample was reviewed and its label is right: keep it off the list until its label changes."""
    enter(platform, key, "write", handle)
    if not sample_id or len(sample_id) > SAMPLE_ID_MAX:
        raise InvalidRequest(f"sample id: 1-{SAMPLE_ID_MAX} characters")
    platform.store.label_issues.dismiss(handle, sample_id)
