"""Derived encoders: a fresh machine gets its static embeddings without anyone waiting for them."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from u22a8.engine import static_embeddings
from u22a8.runs import prepare_encoders, prepare_encoders_in_background
from u22a8.settings import Settings


@pytest.fixture(autouse=True)
def _restore_models_dir() -> Iterator[None]:
    before = static_embeddings._models_dir
    yield
    static_embeddings.set_models_dir(before)


def test_prepared_machine_starts_nothing(tmp_path: Path) -> None:
    assert prepare_encoders_in_background(Settings(home=tmp_path)) is None  # `make install` prepared it


def test_missing_models_are_distilled_in_a_low_priority_process(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, models_dir=tmp_path / "models")
    proc = prepare_encoders_in_background(settings)
    assert proc is not None
    try:
        assert proc.poll() is None  # running, not blocking the server that started it
    finally:
        proc.kill()
        proc.wait(10)


def test_an_operator_can_turn_background_preparing_off(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, models_dir=tmp_path / "models", prepare_models=False)
    assert prepare_encoders_in_background(settings) is None
    assert not settings.resolved_models_dir.exists()


def test_a_second_preparer_on_the_machine_steps_aside(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, models_dir=tmp_path / "models")
    settings.resolved_models_dir.mkdir(parents=True)
    with open(settings.resolved_models_dir / ".prepare.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert prepare_encoders(settings) is None
    assert not (settings.resolved_models_dir / "minilm-static-256").exists()


def test_a_machine_without_the_onnx_export_makes_it_in_the_background(tmp_path: Path) -> None:
    """Static embeddings there, MiniLM's ONNX file not (a machine prepared before it existed):
    the server starts a prepare for it, and nothing once it is there."""
    from u22a8.engine import minilm_onnx

    pytest.importorskip("onnxruntime")
    prepared = Settings(home=tmp_path).resolved_models_dir  # `make install` prepared both here
    settings = Settings(home=tmp_path, models_dir=tmp_path / "models")
    settings.resolved_models_dir.mkdir(parents=True)
    (settings.resolved_models_dir / "minilm-static-256").symlink_to(prepared / "minilm-static-256")
    proc = prepare_encoders_in_background(settings)
    assert proc is not None
    proc.kill()
    proc.wait(10)
    (settings.resolved_models_dir / "minilm-l6-v2-onnx").symlink_to(prepared / "minilm-l6-v2-onnx")
    assert minilm_onnx.onnx_missing() is None
    assert prepare_encoders_in_background(settings) is None


def test_an_export_refused_here_is_not_tried_again_at_every_start(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    prepared = Settings(home=tmp_path).resolved_models_dir
    settings = Settings(home=tmp_path, models_dir=tmp_path / "models")
    settings.resolved_models_dir.mkdir(parents=True)
    (settings.resolved_models_dir / "minilm-static-256").symlink_to(prepared / "minilm-static-256")
    (settings.resolved_models_dir / "minilm-l6-v2-onnx.refused").write_text("MiniLM stays on torch: ...\n")
    assert prepare_encoders_in_background(settings) is None
    assert prepare_encoders(settings) == settings.resolved_models_dir  # at once: nothing to make
    assert not (settings.resolved_models_dir / "minilm-l6-v2-onnx").exists()
