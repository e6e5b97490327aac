"""A Server-Sent Events reader: lines in, :class:`RunEvent` out (the subset of the spec the API uses)."""

from __future__ import annotations

import json

from ._types import RunEvent, parse_time

__all__ = ["SSEParser"]


class SSEParser:
    """Feed it the stream's lines; it returns an event when a blank line completes one."""

    def __init__(self) -> None:
        self._id: str | None = None
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, line: str) -> RunEvent | None:
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):  # a comment, e.g. the server's keep-alive
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            self._id = value
        elif name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> RunEvent | None:
        if not self._data and self._event is None:
            return None
        raw = "\n".join(self._data)
        event_id, kind = self._id, self._event
        self._id, self._event, self._data = None, None, []
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"text": raw}
        if not isinstance(data, dict):
            data = {"value": data}
        kind = kind or str(data.get("type", "message"))
        at = data.get("at")
        return RunEvent(
            id=int(event_id) if event_id and event_id.isdigit() else None,
            type=kind,
            at=parse_time(at) if isinstance(at, str) else None,
            data=data,
        )
