"""A model's likely label errors: one-click relabel (to the suggestion or another label) and dismiss.

Relabeling is an ordinary sample update (``service.relabel_sample``), so a ready model's guarded
retrain follows; dismissing keeps a reviewed sample off the list until its label changes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import service
from ..errors import InvalidRequest, U22A8Error
from .html_errors import ConsoleRoute
from .rendering import render, see_other
from .session_checks import FormDep, KeyDep, PlatformDep

router = APIRouter(prefix="/console/models", route_class=ConsoleRoute, include_in_schema=False)

ISSUES_SHOWN = 50
# Statuses a user fixes by changing their input (or that a second tab caused): said on the page.
_SAID_ON_THE_PAGE = (404, 409, 413, 422, 429)


@router.get("/{handle}/label-issues")
def label_issues_page(request: Request, handle: str, key: KeyDep, platform: PlatformDep) -> Response:
    model = service.get_model(platform, key, handle)
    issues = service.list_label_issues(platform, key, handle, limit=ISSUES_SHOWN)
    labels = sorted(set(model.labels or []) | set(service.labels_in_use(platform, key, handle)))
    return render(request, "label_issues.html", model=model, issues=issues, labels=labels,
                  can_write=service.has_scope(key, "write") and model.owner == key.owner)


def _back(request: Request, handle: str, exc: U22A8Error) -> Response:
    if exc.status not in _SAID_ON_THE_PAGE:
        raise exc
    return see_other(request, f"/models/{handle}/label-issues", ("error", exc.detail))


@router.post("/{handle}/label-issues/relabel")
def relabel(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    sample_id, label = form.get("id"), form.get("label").strip()
    service.get_model(platform, key, handle, "write")  # no access: an error page, as for any form
    try:
        if not sample_id or not label:
            raise InvalidRequest("choose a sample and a label")
        service.relabel_sample(platform, key, handle, sample_id, label)
    except U22A8Error as exc:
        return _back(request, handle, exc)
    return see_other(request, f"/models/{handle}/label-issues",
                     ("notice", f"Relabeled {sample_id} as {label}; the model retrains after its quiet period."))


@router.post("/{handle}/label-issues/dismiss")
def dismiss(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    sample_id = form.get("id")
    service.get_model(platform, key, handle, "write")
    try:
        if not sample_id:
            raise InvalidRequest("no sample was chosen")
        service.dismiss_label_issue(platform, key, handle, sample_id)
    except U22A8Error as exc:
        return _back(request, handle, exc)
    return see_other(request, f"/models/{handle}/label-issues",
                     ("notice", f"Dismissed {sample_id}: it stays off this list until its label changes."))
