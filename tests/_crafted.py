"""Crafted files an attacker could hand to a user or slip into a store: each would leave a marker
file behind if anything in it ran. Shared by the export, engine and server-path tests."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import skops.io

HEADER = b"u22a8-predictor/2\n"  # the current artifact header, spelled out so this file imports on any version
from u22a8.engine.predictor import Member, Predictor

__all__ = ["Marker", "reduce_pickle", "skops_with_untrusted_type", "skops_with_function", "export_file", "sha256"]


class _ShellOnUnpickle:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


class Marker:
    """Writes its marker whenever it is built from stored state (skops calls ``__setstate__``)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __setstate__(self, state: dict[str, Any]) -> None:
        Path(state["marker"]).write_text("built")
        self.__dict__.update(state)


def reduce_pickle(marker: Path) -> bytes:
    """A pickle whose loading runs a shell command that creates ``marker``."""
    return pickle.dumps(_ShellOnUnpickle(marker), protocol=4)


def skops_with_untrusted_type(marker: Path) -> bytes:
    """A predictor in the current format whose member names a class nobody registered."""
    evil = Marker(marker)
    predictor = Predictor(task="classify", labels=["a", "b"], members=[Member(features=evil, head=evil)])
    return HEADER + skops.io.dumps(predictor)


def skops_with_function(marker: Path) -> bytes:
    """A predictor in the current format that carries ``os.system`` among its values."""
    predictor = Predictor(task="classify", labels=["a", "b"], members=[], info={"run": os.system,
                                                                           "arg": f"touch {marker}"})
    return HEADER + skops.io.dumps(predictor)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_file(artifact: bytes, fmt: str = "u22a8-export/1") -> bytes:
    """An export zip as u22a8 writes them, its manifest's checksum matching ``artifact``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"handle": "acme.tone", "version": 1, "task": "classify",
                                                 "format": fmt, "sha256": sha256(artifact)}))
        zf.writestr("predictor.bin", artifact)
    return buf.getvalue()
