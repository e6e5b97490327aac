"""Records → public response bodies."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.responses import Response

from ..service import ExportFile
from ..store import ApiKey, Model, Run, Sample, Version, utcnow
from .schemas import (
    AutoRetrainPublic,
    KeyPublic,
    ModelPublic,
    RunPublic,
    SamplePublic,
    VersionPublic,
    VersionSummary,
)

S = TypeVar("S", bound=BaseModel)

__all__ = ["model_public", "run_public", "sample_public", "version_public", "key_public", "export_response"]


def _pick(schema: type[S], record: object, **computed: Any) -> S:
    """A response body from the record's same-named attributes, and ``computed`` for the others.

    Every field of ``schema`` must be on the record or in ``computed``: a missing one fails
    loudly (AttributeError) instead of answering with a default.
    """
    values = {name: getattr(record, name) for name in schema.model_fields if name not in computed}
    return schema(**values, **computed)


def run_public(run: Run) -> RunPublic:
    elapsed = None
    if run.started_at is not None:
        elapsed = round(((run.finished_at or utcnow()) - run.started_at).total_seconds(), 3)
    return _pick(RunPublic, run, model=run.handle, elapsed_seconds=elapsed,
                 eta_seconds=run.eta_seconds if run.active else None,
                 phase=run.phase if run.active else None, version=run.version_number)


def model_public(model: Model) -> ModelPublic:
    v = model.active_version
    return _pick(
        ModelPublic,
        model,
        active_version=_pick(VersionSummary, v) if v else None,
        last_run=run_public(model.last_run) if model.last_run else None,
        auto_retrain=AutoRetrainPublic(enabled=model.auto_retrain, quiet_seconds=model.quiet_seconds),
    )


def sample_public(sample: Sample) -> SamplePublic:
    return SamplePublic(
        id=sample.id,
        text=sample.text,
        weight=sample.weight,
        metadata=sample.metadata,
        created_at=sample.created_at,
        updated_at=sample.updated_at,
        **sample.target,
    )


def version_public(version: Version, active_number: int | None) -> VersionPublic:
    return _pick(VersionPublic, version, active=version.number == active_number,
                 sample_count=len(version.sample_ids))


def key_public(key: ApiKey) -> KeyPublic:
    return _pick(KeyPublic, key, scopes=sorted(key.scopes))


def export_response(export: ExportFile) -> Response:
    """An exported version as a download, the same bytes and name whoever asks (API or console)."""
    return Response(export.data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{export.filename}"'})
