"""Labeling: the pool of unlabeled texts and the suggestions, one at a time, keys for the labels.

Each answer is an ordinary sample upload of one (``service.label_suggestion``): the text leaves
the pool and the model's guarded retrain follows as for any new sample. Skipped texts are carried
in the page's URL (``skip``), so nothing about a labeling session is kept on the server.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import service
from ..errors import InvalidRequest, U22A8Error
from .html_errors import ConsoleRoute
from .rendering import render, see_other
from .session_checks import FormDep, KeyDep, PlatformDep, UploadFormDep

router = APIRouter(prefix="/console/models", route_class=ConsoleRoute, include_in_schema=False)

# Suggestions asked for per page: enough to step over the skipped ones and show what comes next.
_ASKED = 60
_SKIPS_KEPT = 50
_UPCOMING = 5
# Keys for the labels, in order; "s" skips, so it is never a label's key.
_SHORTCUTS = "1234567890abcdefghijklmnopqrtuvwxyz"
_INPUT_ERRORS = (409, 413, 422, 429)


def _skips(raw: str | None) -> list[str]:
    return [s for s in (raw or "").split(",") if s][-_SKIPS_KEPT:]


def _here(handle: str, skips: list[str]) -> str:
    return f"/models/{handle}/label" + (f"?{urlencode({'skip': ','.join(skips)})}" if skips else "")


@router.get("/{handle}/label")
def label_page(request: Request, handle: str, key: KeyDep, platform: PlatformDep, skip: str | None = None) -> Response:
    model = service.get_model(platform, key, handle)
    service.check_sample_access(key, handle)  # the pool is the owner's, like the samples
    skips = _skips(skip)
    labels = list(model.labels) if model.labels else service.labels_in_use(platform, key, handle)
    found, waiting = None, []
    pool_count = None
    if model.active_version is not None:
        found = service.suggestions(platform, key, handle, limit=_ASKED)
        pool_count = found.pool_count
        waiting = [s for s in found.items if s.id not in set(skips)]
    return render(request, "label.html", model=model, labels=labels, shortcuts=dict(zip(labels, _SHORTCUTS)),
                  current=waiting[0] if waiting else None, upcoming=waiting[1:1 + _UPCOMING], skips=",".join(skips),
                  skipped=len(skips), pool_count=pool_count, trained=model.active_version is not None,
                  can_write=service.may(key, handle, "write"), max_upload_bytes=platform.settings.max_body_bytes)


@router.post("/{handle}/label")
def label(request: Request, handle: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    """Store the answer as a sample (or skip the text), then on to the next suggestion."""
    service.get_model(platform, key, handle, "write")  # no access: an error page, as for any form
    skips = _skips(form.get("skip_list"))
    pool_id = form.get("pool_id")
    if form.get("action") == "skip":
        return see_other(request, _here(handle, [*skips, pool_id] if pool_id else skips))
    model = service.get_model(platform, key, handle)
    try:
        if not pool_id:
            raise InvalidRequest("no text was chosen")
        if model.task == "score":
            try:
                target: dict[str, object] = {"score": float(form.get("score"))}
            except ValueError:
                raise InvalidRequest("type a number for the score") from None
        elif model.task == "multilabel":
            target = {"labels": form.getall("labels")}
        else:
            target = {"label": form.get("label")}
        upload = service.label_suggestion(platform, key, handle, pool_id, target)
    except U22A8Error as exc:
        if exc.status not in (*_INPUT_ERRORS, 404):
            raise
        return see_other(request, _here(handle, skips), ("error", exc.detail))
    shown = json.dumps(target.get("label", target.get("labels", target.get("score"))), ensure_ascii=False)
    return see_other(request, _here(handle, skips),
                     ("notice", f"Stored as {shown}; the model holds {upload.sample_count} samples."))


@router.post("/{handle}/pool")
def upload_pool(request: Request, handle: str, key: KeyDep, form: UploadFormDep, platform: PlatformDep) -> Response:
    """Unlabeled texts: a file (CSV with a text column, NDJSON or JSON), or pasted lines."""
    back = f"/models/{handle}/label"
    try:
        service.get_model(platform, key, handle, "write")
        upload = form.files.get("file")
        if upload is not None and upload.filename:
            suffix = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else "csv"
            kind = {"ndjson": "application/x-ndjson", "jsonl": "application/x-ndjson",
                    "json": "application/json"}.get(suffix, "text/csv")
            data = upload.data
        else:
            lines = [line for line in form.get("texts").splitlines() if line.strip()]
            if not lines:
                raise InvalidRequest("paste texts, one per line, or choose a file")
            data, kind = json.dumps({"texts": lines}).encode(), "application/json"
        done = service.add_pool_texts(platform, key, handle, data, kind)
    except U22A8Error as exc:
        if exc.status not in _INPUT_ERRORS:
            raise
        return see_other(request, back, ("error", exc.detail))
    c = done.counts
    return see_other(request, back, ("notice", f"Pool: {c.added} added, {c.unchanged} already there, "
                                               f"{c.labeled} labeled already; {done.pool_count} texts to label."))
