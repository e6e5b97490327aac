"""Records → public response bodies."""

from __future__ import annotations

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

__all__ = ["model_public", "run_public", "sample_public", "version_public", "key_public"]


def run_public(run: Run) -> RunPublic:
    elapsed = None
    if run.started_at is not None:
        elapsed = round(((run.finished_at or utcnow()) - run.started_at).total_seconds(), 3)
    return RunPublic(
        id=run.id,
        model=run.handle,
        kind=run.kind,
        state=run.state,
        effort=run.effort,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        trials_planned=run.trials_planned,
        trials_done=run.trials_done,
        best_score=run.best_score,
        elapsed_seconds=elapsed,
        eta_seconds=run.eta_seconds if run.active else None,
        cpu_seconds=run.cpu_seconds,
        attempts=run.attempts,
        error=run.error,
        decision=run.decision,
        version=run.version_number,
    )


def model_public(model: Model) -> ModelPublic:
    v = model.active_version
    return ModelPublic(
        handle=model.handle,
        owner=model.owner,
        task=model.task,
        description=model.description,
        labels=model.labels,
        state=model.state,
        sample_count=model.sample_count,
        active_version=VersionSummary(number=v.number, created_at=v.created_at, metrics=v.metrics) if v else None,
        last_run=run_public(model.last_run) if model.last_run else None,
        auto_retrain=AutoRetrainPublic(enabled=model.auto_retrain, quiet_seconds=model.quiet_seconds),
        created_at=model.created_at,
        updated_at=model.updated_at,
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
    return VersionPublic(
        number=version.number,
        active=version.number == active_number,
        run_id=version.run_id,
        created_at=version.created_at,
        params=version.params,
        metrics=version.metrics,
        sample_count=len(version.sample_ids),
        artifact_sha256=version.artifact_sha256,
    )


def key_public(key: ApiKey) -> KeyPublic:
    return KeyPublic(
        id=key.id,
        owner=key.owner,
        name=key.name,
        scopes=sorted(key.scopes),
        prefix=key.prefix,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )
