"""Artifacts written before :mod:`.artifact_format`: pickles, for the platform's own store only.

Unpickling runs whatever the bytes name, so this loader must only ever see bytes the platform
itself wrote: read from its own artifact store, at the key a version row names, matching the
SHA-256 that row recorded when the worker stored them (``u22a8.runs.stored_predictors`` is the
one caller and does exactly that). Exports, uploads and any other bytes that crossed a trust
boundary go through :func:`.artifact_format.load_predictor`, which refuses pickles.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from .artifact_format import ArtifactFormatError, ArtifactIntegrityError, is_legacy_artifact, verify_checksum
from .predictor import Predictor

__all__ = ["load_legacy_predictor"]

# Modules renamed since artifacts were first written: old artifacts name the old module.
_RENAMED_MODULES = {"u22a8.engine.ftmembers": "u22a8.engine.finetuned_members"}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(_RENAMED_MODULES.get(module, module), name)


def load_legacy_predictor(artifact: bytes, sha256: str) -> Predictor:
    """Unpickle a legacy artifact from the platform's own store, its checksum verified first."""
    verify_checksum(artifact, sha256)
    if not is_legacy_artifact(artifact):
        raise ArtifactFormatError("not a legacy (pickled) artifact")
    predictor = _Unpickler(io.BytesIO(artifact)).load()  # noqa: S301 - the platform's own checksummed row
    if not isinstance(predictor, Predictor):
        raise ArtifactIntegrityError(f"artifact holds a {type(predictor).__name__}, not a Predictor")
    return predictor
