"""Exported versions: one self-contained file that loads offline and predicts identically.

Layout: a zip with ``manifest.json`` (handle, version, task, labels, params, metrics, the
artifact format and the SHA-256 of the predictor) and ``predictor.bin``, an artifact in the
data-only format of :mod:`.artifact_format`. :func:`load_bundle` checks the export format, then
the checksum (corruption), then loads the predictor with the audited loader, which builds only
trusted types and never runs code from the file. Exports of the first format held a pickle:
they are refused with a message saying to download the version again.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from .artifact_format import ARTIFACT_FORMAT, ArtifactFormatError, load_predictor
from .predictor import Predictor

__all__ = ["write_bundle", "load_bundle", "BUNDLE_FORMAT", "ExportFormatError"]

BUNDLE_FORMAT = "u22a8-export/2"
_PICKLED_FORMATS = ("u22a8-export/1",)


class ExportFormatError(ArtifactFormatError):
    """The file is not an export this version of u22a8 loads."""


def write_bundle(artifact: bytes, sha256: str, manifest: dict[str, Any]) -> bytes:
    """``artifact`` must be in the current format (see ``u22a8.runs.stored_predictors``)."""
    buf = io.BytesIO()
    header = {**manifest, "format": BUNDLE_FORMAT, "artifact_format": ARTIFACT_FORMAT, "sha256": sha256}
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(header, indent=2))
        zf.writestr("predictor.bin", artifact)
    return buf.getvalue()


def load_bundle(source: bytes | str | Path) -> tuple[Predictor, dict[str, Any]]:
    """Return ``(predictor, manifest)`` from an exported file or its bytes."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            if not isinstance(manifest, dict):
                raise ExportFormatError("not a u22a8 export (its manifest is not an object)")
            _check_format(manifest.get("format"))
            artifact = zf.read("predictor.bin")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportFormatError(f"not a u22a8 export ({type(exc).__name__}: {exc})") from None
    return load_predictor(artifact, str(manifest.get("sha256", ""))), manifest


def _check_format(found: Any) -> None:
    if found in _PICKLED_FORMATS:
        raise ExportFormatError(
            f"this export ({found}) was written by an older u22a8 and holds a pickle, which is not "
            "loaded because it could run code: download the version again from the server "
            f"(`u22a8 export HANDLE --version N` or client.versions.export), which writes {BUNDLE_FORMAT}")
    if found != BUNDLE_FORMAT:
        raise ExportFormatError(f"not a u22a8 export (format {found!r}; this u22a8 reads {BUNDLE_FORMAT})")
