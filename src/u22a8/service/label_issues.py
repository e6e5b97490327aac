"""Likely label errors of a model's active version: list, dismiss (issue 12).

The list shows training texts, so only those who may read the model's samples see it (the
samples rule: a platform model's readers may not). Relabeling is no action of its own: it is an
ordinary sample upload with the sample's id and the new label, so the guarded retrain follows.
"""

from __future__ import annotations

from .. import engine
from ..errors import InvalidRequest
from ..store import ApiKey, LabelIssue
from .access import check_sample_access, checked_handle, enter
from .platform import Platform
from .samples import validate_samples

__all__ = ["LABEL_ISSUES_LIMIT_MAX", "list_label_issues", "dismiss_label_issue", "relabel_sample"]

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


def relabel_sample(platform: Platform, key: ApiKey, handle: str, sample_id: str, label: str) -> None:
    """Give one sample a new label: the same update (and checks) as uploading it again with its id,
    keeping its text, weight and metadata; a ready model's guarded retrain follows."""
    enter(platform, key, "write", handle)
    if not sample_id or len(sample_id) > SAMPLE_ID_MAX:
        raise InvalidRequest(f"sample id: 1-{SAMPLE_ID_MAX} characters")
    model = platform.store.models.get(handle)
    if engine.get_task(model.task).target_shape != "label":
        raise InvalidRequest(f"relabeling takes one label; {handle} is a {model.task} model")
    sample = platform.store.label_issues.sample(handle, sample_id)
    item = {"id": sample.id, "text": sample.text, "label": label, "weight": sample.weight}
    if sample.metadata is not None:
        item["metadata"] = sample.metadata
    new = validate_samples([item], model.task, model.labels, platform.settings)
    platform.store.samples.upsert(handle, new, max_per_model=platform.settings.max_samples_per_model,
                                  max_labels=platform.settings.max_labels_per_model)
