"""/v1/models/{handle}/label-issues: the active version's likely label errors; dismiss one."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ... import service
from ..deps import KeyDep, PlatformDep
from ..presenters import label_issue_public
from ..schemas import LabelIssueList
from ..routing import V1Route

router = APIRouter(prefix="/v1/models/{handle}/label-issues", tags=["label issues"], route_class=V1Route)


@router.get("", response_model=LabelIssueList, operation_id="list_label_issues")
def list_label_issues(handle: str, key: KeyDep, platform: PlatformDep,
                      limit: int = Query(default=50, ge=1, le=service.LABEL_ISSUES_LIMIT_MAX)) -> LabelIssueList:
    """Samples whose label the active version finds unlikely, most suspect first, with the label it
    suggests. Relabel one by uploading the sample again with its id (an ordinary sample update)."""
    found = service.list_label_issues(platform, key, handle, limit=limit)
    return LabelIssueList(items=[label_issue_public(i) for i in found])


@router.post("/{sample_id:path}/dismiss", status_code=204, operation_id="dismiss_label_issue")
def dismiss_label_issue(handle: str, sample_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    """The sample's label was reviewed and is right: off the list until its label changes."""
    service.dismiss_label_issue(platform, key, handle, sample_id)
    return Response(status_code=204)
