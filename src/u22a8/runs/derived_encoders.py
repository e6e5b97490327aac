"""Derived encoders the engine needs on disk, made once per machine: the distilled static
embeddings, and MiniLM exported to ONNX.

Every process that trains or predicts points the engine at their directory (``U22A8_MODELS_DIR``). A server or
worker that finds one missing makes it in a separate, low-priority process, so neither the API
nor a run waits; a file lock keeps concurrent starts on one machine from doing it twice. Until
the files exist, searches train without the static embeddings (and say so) and MiniLM runs on
torch (slower, the same vectors).
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
from pathlib import Path

from .. import engine
from ..settings import Settings

__all__ = ["use_encoders_dir", "prepare_encoders", "prepare_encoders_in_background"]

log = logging.getLogger("u22a8.runs")


def use_encoders_dir(settings: Settings) -> None:
    engine.set_models_dir(settings.resolved_models_dir)


def prepare_encoders(settings: Settings) -> Path | None:
    """Make what is missing, now; None when another process is already at it. The engine's
    compiled loops are built here too (numba caches them beside the package), so that neither
    the first API process nor the first retrain after an install compiles them."""
    use_encoders_dir(settings)
    engine.warm_kernels(training=True)
    if engine.static_missing() is None and not _onnx_to_make():
        return settings.resolved_models_dir
    settings.resolved_models_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.resolved_models_dir / ".prepare.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        if engine.static_missing() is not None:
            engine.prepare_static()
        if _onnx_to_make():
            engine.prepare_onnx()  # None if it cannot: MiniLM then stays on torch
        return settings.resolved_models_dir


def _onnx_to_make() -> bool:
    # Not when the libraries are missing or an export here was refused (a note says why): a
    # worker start would otherwise export again, for minutes, every time.
    return engine.onnx_missing() is not None and engine.onnx_exportable()


def _to_make() -> str | None:
    """What a background prepare would make here, or None."""
    static = engine.static_missing()
    if static is not None and "not installed" not in static:
        return static
    return engine.onnx_missing() if _onnx_to_make() else None


def prepare_encoders_in_background(settings: Settings) -> subprocess.Popen[bytes] | None:
    """Start ``u22a8 prepare`` at low priority if something is missing; None if nothing is, or
    if the settings say not to (``U22A8_PREPARE_MODELS=false``)."""
    use_encoders_dir(settings)
    reason = _to_make()
    if reason is None or not settings.prepare_models:
        return None
    env = {**os.environ, "U22A8_MODELS_DIR": str(settings.resolved_models_dir)}
    log.info("preparing derived encoders in the background (%s)", reason)
    return subprocess.Popen([sys.executable, "-m", "u22a8.cli", "prepare"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.nice(15))
