"""Row → record conversion, shared by the repositories."""

from __future__ import annotations

from .records import ApiKey, Run, Sample, Version
from .tables import ApiKeyRow, RunRow, SampleRow, VersionRow


def key_record(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        owner=row.owner,
        name=row.name,
        scopes=frozenset(s for s in row.scopes.split(",") if s),
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def version_record(row: VersionRow) -> Version:
    return Version(
        id=row.id,
        model_id=row.model_id,
        number=row.number,
        run_id=row.run_id,
        params=row.params,
        metrics=row.metrics,
        report=row.report,
        sample_ids=row.sample_ids,
        artifact_key=row.artifact_key,
        artifact_sha256=row.artifact_sha256,
        created_at=row.created_at,
    )


def run_record(row: RunRow, handle: str) -> Run:
    return Run(
        id=row.id,
        model_id=row.model_id,
        handle=handle,
        kind=row.kind,
        state=row.state,
        effort=row.effort,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        trials_planned=row.trials_planned,
        trials_done=row.trials_done,
        best_score=row.best_score,
        eta_seconds=row.eta_seconds,
        cpu_seconds=row.cpu_seconds,
        error=row.error,
        decision=row.decision,
        version_number=row.version_number,
        attempts=row.attempts,
        cancel_requested=row.cancel_requested,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
    )


def sample_record(row: SampleRow) -> Sample:
    return Sample(
        id=row.sample_id,
        text=row.text,
        target=row.target,
        weight=row.weight,
        metadata=row.meta,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
