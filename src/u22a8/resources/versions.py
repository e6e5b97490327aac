"""Versions: what one successful run left behind, numbered per model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .fields import given, shown, shown_property

__all__ = ["Version"]


@dataclass(frozen=True)
class Version:
    id: int
    model_id: int
    number: int = shown(summary=True)
    # Which version answers predictions is the model's to say, not the version's.
    active = given(bool)
    run_id: str = shown()
    created_at: datetime = shown(summary=True)
    params: dict[str, Any] = shown()
    metrics: dict[str, Any] = shown(summary=True)
    report: dict[str, Any]
    sample_ids: list[str]

    @shown_property
    def sample_count(self) -> int:
        return len(self.sample_ids)

    artifact_key: str
    artifact_sha256: str = shown()
