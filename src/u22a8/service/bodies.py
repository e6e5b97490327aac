"""Reading a request body under a limit, for both front doors (they pass the body's chunks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..errors import PayloadTooLarge

__all__ = ["read_capped"]


async def read_capped(chunks: AsyncIterator[bytes], declared_length: str | None, max_bytes: int, what: str) -> bytes:
    """All of ``chunks``, refused as soon as they pass ``max_bytes`` (or when the declared
    Content-Length already does, before a byte is read). ``what`` names it in the refusal."""
    if declared_length and declared_length.isdigit() and int(declared_length) > max_bytes:
        raise PayloadTooLarge(f"{what} is over {max_bytes} bytes")
    parts: list[bytes] = []
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > max_bytes:
            raise PayloadTooLarge(f"{what} is over {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)
