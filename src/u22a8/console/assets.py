"""The console's static files (CSS, JS, icon), served by u22a8 itself so it works offline.

Only files that ship in ``console/static`` can be asked for: names are looked up in a table
built at import, never joined onto a path, so there is no traversal to guard against. URLs
carry a content hash, so browsers may cache them for good and still see a new release.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

from ..errors import NotFound

__all__ = ["router", "asset_url"]

STATIC = Path(__file__).parent / "static"
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _load() -> dict[str, tuple[bytes, str, str]]:
    files = {}
    for path in sorted(STATIC.iterdir()):
        if path.is_file() and path.suffix in _TYPES:
            data = path.read_bytes()
            files[path.name] = (data, _TYPES[path.suffix], hashlib.sha256(data).hexdigest()[:12])
    return files


_FILES = _load()

router = APIRouter(prefix="/console/static", include_in_schema=False)


def asset_url(base: str, name: str) -> str:
    """The URL of a static file, versioned by its content."""
    return f"{base}/static/{name}?v={_FILES[name][2]}"


@router.get("/{name}")
def static_file(name: str) -> Response:
    found = _FILES.get(name)
    if found is None:
        raise NotFound(f"no console file {name[:80]!r}")
    data, media_type, digest = found
    return Response(data, media_type=media_type, headers={
        "Cache-Control": "public, max-age=31536000, immutable",
        "ETag": f'"{digest}"',
        "X-Content-Type-Options": "nosniff",
    })
