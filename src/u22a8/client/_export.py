"""Exported versions, loaded offline: ``u22a8.load_export(path).predict(texts)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._types import PredictResult

__all__ = ["ExportedModel", "load_export"]


class ExportedModel:
    """A version downloaded with ``client.versions.export``; predicts without a server.

    ``manifest`` says what it is: handle, version, task, labels, params, metrics, created_at.
    """

    def __init__(self, predictor: Any, manifest: Mapping[str, Any]) -> None:
        self._predictor = predictor
        self.manifest: Mapping[str, Any] = manifest

    @property
    def handle(self) -> str:
        return str(self.manifest.get("handle", ""))

    @property
    def version(self) -> int:
        return int(self.manifest.get("version", 0))

    @property
    def task(self) -> str:
        return str(self.manifest.get("task", ""))

    def predict(self, texts: str | Sequence[str], top_k: int | None = None) -> PredictResult:
        """The same answer the server's predict gives for this version, in input order."""
        inputs = [texts] if isinstance(texts, str) else list(texts)
        predictions = self._predictor.predict(inputs, top_k=top_k)
        return PredictResult.from_json({"model": self.handle, "version": self.version, "predictions": predictions})

    def __repr__(self) -> str:
        return f"ExportedModel(handle={self.handle!r}, version={self.version}, task={self.task!r})"


def load_export(path: str | Path | bytes) -> ExportedModel:
    """Load an exported file (or its bytes) as data: its format and checksum are checked and only
    the platform's trusted types are built, so nothing in the file runs. A file that is not a
    current export (a crafted one, a corrupted one, or one written by an older u22a8, which is
    to be downloaded again) raises ``ValueError``. Needs the training dependencies
    (scikit-learn…) of the server that made it."""
    # The engine is heavy (numpy, scikit-learn): import it only when an export is loaded.
    from ..engine.bundle import load_bundle

    predictor, manifest = load_bundle(path)
    return ExportedModel(predictor, manifest)
