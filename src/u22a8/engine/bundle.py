"""Exported versions: one self-contained file that loads offline and predicts identically.

Layout: a zip with ``manifest.json`` (handle, version, task, labels, params, metrics and the
SHA-256 of the predictor) and ``predictor.bin``. :func:`load_bundle` checks the checksum before
anything is deserialized, so a tampered file is refused rather than unpickled.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from .predictor import load_predictor

__all__ = ["write_bundle", "load_bundle", "BUNDLE_FORMAT"]

BUNDLE_FORMAT = "u22a8-export/1"


def write_bundle(artifact: bytes, sha256: str, manifest: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({**manifest, "format": BUNDLE_FORMAT, "sha256": sha256}, indent=2))
        zf.writestr("predictor.bin", artifact)
    return buf.getvalue()


def load_bundle(source: bytes | str | Path) -> tuple[Any, dict[str, Any]]:
    """Return ``(predictor, manifest)`` from an exported file or its bytes."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        if manifest.get("format") != BUNDLE_FORMAT:
            raise ValueError(f"not a u22a8 export (format {manifest.get('format')!r})")
        artifact = zf.read("predictor.bin")
    return load_predictor(artifact, manifest["sha256"]), manifest
