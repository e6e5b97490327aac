"""HTML form bodies, parsed with the standard library.

Starlette's ``request.form()`` needs the optional python-multipart package, which u22a8 does
not depend on; the console's forms are small (a few fields, at most one CSV file, already
capped by the API's body-size limit), so urlencoded bodies go through ``urllib.parse`` and
multipart ones through the ``email`` parser, which understands MIME multipart natively.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.requests import Request

from ..errors import InvalidRequest

__all__ = ["Upload", "FormData", "read_form"]


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


async def read_form(request: Request) -> FormData:
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return _multipart(body, content_type)
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequest("the form is not UTF-8") from exc
        return FormData(fields=parse_qs(text, keep_blank_values=True))
    raise InvalidRequest(f"a form cannot be sent as {kind}")


def _multipart(body: bytes, content_type: str) -> FormData:
    if "\r" in content_type or "\n" in content_type:
        raise InvalidRequest("bad Content-Type header")
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
