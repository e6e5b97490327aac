"""HTML form bodies, parsed with the standard library.

Starlette's ``request.form()`` needs the optional python-multipart package, which u22a8 does
not depend on; the console's forms are small (a few fields, at most one CSV file, already
each form's body capped by its route), so urlencoded bodies go through ``urllib.parse`` and
multipart ones through the ``email`` parser, which understands MIME multipart natively.

A body is read only up to its cap (refused with 413 past it, by Content-Length before reading
anything), its fields or parts are counted before parsing (a form of thousands of tiny parts is
refused, not parsed), and parsing runs in a worker thread, so no form holds the event loop.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from .. import service
from ..errors import InvalidRequest

__all__ = ["Upload", "FormData", "read_form", "MAX_FORM_PARTS"]

# Fields (or multipart parts) one console form may carry: the largest form, a model's settings
# with one box per label, stays well below.
MAX_FORM_PARTS = 2_000


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class FormData:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def getall(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def checked(self, name: str) -> bool:
        return name in self.fields


async def read_form(request: Request, *, max_bytes: int, max_parts: int = MAX_FORM_PARTS) -> FormData:
    """The form in ``request``'s body: at most ``max_bytes`` and ``max_parts`` fields, parsed off the loop."""
    body = await service.read_capped(request.stream(), request.headers.get("content-length"), max_bytes, "the form")
    content_type = request.headers.get("content-type", "")
    return await run_in_threadpool(_parse, body, content_type, max_parts)


def _parse(body: bytes, content_type: str, max_parts: int) -> FormData:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return _multipart(body, content_type, max_parts)
    if kind in ("application/x-www-form-urlencoded", ""):
        if body.count(b"&") >= max_parts:
            raise InvalidRequest(f"the form has more than {max_parts} fields")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequest("the form is not UTF-8") from exc
        return FormData(fields=parse_qs(text, keep_blank_values=True, max_num_fields=max_parts))
    raise InvalidRequest(f"a form cannot be sent as {kind}")


def _multipart(body: bytes, content_type: str, max_parts: int = MAX_FORM_PARTS) -> FormData:
    if "\r" in content_type or "\n" in content_type:
        raise InvalidRequest("bad Content-Type header")
    boundary = _boundary(content_type)
    if boundary is None:
        raise InvalidRequest("the multipart form names no boundary")
    # Count the parts before parsing any: the count of delimiters is a cheap upper bound.
    if body.count(b"--" + boundary) > max_parts + 1:
        raise InvalidRequest(f"the form has more than {max_parts} parts")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = email.message_from_bytes(head + body, policy=email.policy.HTTP)
    if not message.is_multipart():
        raise InvalidRequest("the multipart form could not be read")
    out = FormData()
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            out.files[name] = Upload(filename=filename, content_type=part.get_content_type(), data=payload)
        else:
            try:
                out.fields.setdefault(name, []).append(payload.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise InvalidRequest(f"form field {name!r} is not UTF-8") from exc
    return out


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return value.strip().strip('"').encode("latin-1", "replace")
    return None
