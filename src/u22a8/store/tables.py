"""ORM tables. Rows never leave the store: repositories return frozen records (u22a8.resources)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base", "ApiKeyRow", "ConsoleSessionRow", "ModelRow", "SampleRow", "RunRow", "EventRow", "VersionRow",
    "IdempotencyRow", "RateCounterRow", "WebhookEndpointRow", "WebhookDeliveryRow", "PoolTextRow",
]

# Runs in these states hold their model's single search slot.
_ACTIVE_RUN = "state IN ('queued', 'running')"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way out, whatever the backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    scopes: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # This key's own request limits ("predict=100/minute;writes=10/minute"); unset classes use the settings.
    rate_limits: Mapped[str | None] = mapped_column(String(200), nullable=True)


# sqlite_autoincrement on every table whose integer ids leave the process (records, events,
# cache keys, pagination cursors): SQLite would otherwise give a deleted newest row's id to the
# next row, and anything still holding the old id would take the new row for the deleted one.
_NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class ConsoleSessionRow(Base):
    """A signed-in console browser. Only a hash of the cookie's random id is kept, so the table
    gives nobody a cookie; a revoked key's sessions are deleted with the revocation."""

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ModelRow(Base):
    __tablename__ = "models"
    __table_args__ = (_NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handle: Mapped[str] = mapped_column(String(110), unique=True)
    owner: Mapped[str] = mapped_column(String(40), index=True)
    task: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    auto_retrain: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_seconds: Mapped[float] = mapped_column(Float)
    # classify: samples of this label are examples of what not to answer (None: no fallback)
    fallback_label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    fallback_min_precision: Mapped[float | None] = mapped_column(Float, nullable=True)
    active_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # How many samples the model holds, kept by every write that adds or removes one (each holds
    # the model's row locked): an upload checks the per-model limit against it, where counting a
    # million index entries took 0.25 s on PostgreSQL.
    sample_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Every label the model's samples may carry: a superset, grown by uploads (which hold the row
    # locked) and made exact whenever the labels are counted; deletes leave it as it is. None:
    # not known yet. An upload whose labels are all in it cannot raise the number of labels, and
    # one that keeps it within the limit need not count: on PostgreSQL at a million samples the
    # per-label probes it replaces cost most of an upload (bench/RESULTS.md, scale-ingest-postgresql).
    labels_seen: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Set when samples of a ready model change; the scheduler enqueues a retrain once it passes.
    retrain_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SampleRow(Base):
    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("model_id", "sample_id", name="uq_samples_model_sample_id"),
        Index("ix_samples_model_text_key", "model_id", "text_key"),
        _NEVER_REUSE_IDS,
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    sample_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    # The hash's first 64 bits as an integer in the hash's order (store.samples.text_key). Texts
    # are found and drawn by this, not by the 64-character hash: an upload inserts into the index
    # at random places, and an 8-byte key keeps that index small enough to stay cached at a
    # million samples per model (bench/RESULTS.md, scale-ingest).
    text_key: Mapped[int] = mapped_column(BigInteger)
    # {"label": str} | {"labels": [str]} | {"score": float}
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        # The database, not the API process, guarantees one search per model in flight and one
        # queued retrain per model, whatever the number of API processes.
        Index(
            "uq_runs_one_active_search",
            "model_id",
            unique=True,
            sqlite_where=text(f"kind = 'search' AND {_ACTIVE_RUN}"),
            postgresql_where=text(f"kind = 'search' AND {_ACTIVE_RUN}"),
        ),
        Index(
            "uq_runs_one_queued_retrain",
            "model_id",
            unique=True,
            sqlite_where=text("kind = 'retrain' AND state = 'queued'"),
            postgresql_where=text("kind = 'retrain' AND state = 'queued'"),
        ),
        # One running run per model (a search and a retrain never train one model at once):
        # claims racing on several workers meet this index, not a SELECT that both pass.
        Index(
            "uq_runs_one_running",
            "model_id",
            unique=True,
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
        Index("ix_runs_state", "state"),
        Index("ix_runs_model_created", "model_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    effort: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    trials_planned: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trials_done: Mapped[int] = mapped_column(Integer, default=0)
    best_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    eta_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    phase: Mapped[str | None] = mapped_column(Text, nullable=True)
    cpu_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The model's active version when the run was claimed (None: it had none): the run promotes
    # its version only if this one still serves when it finishes (an operator's rollback wins).
    started_from_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class EventRow(Base):
    """The outbox: one row per typed event (``u22a8.events``), written in the transaction of
    the state change it reports. No foreign keys: a model's deletion is itself an event."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_run_id", "run_id", "id"), {"sqlite_autoincrement": True})

    # sqlite_autoincrement: ids are never reused, so a reader's cursor never skips a new event.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(40))
    model_id: Mapped[int] = mapped_column(Integer)
    handle: Mapped[str] = mapped_column(String(110))
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The event's own fields (event_to_json) beyond the columns above.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class VersionRow(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("model_id", "number", name="uq_versions_model_number"), _NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # unique: a run that executes twice (a lost lease) still promotes at most one version.
    run_id: Mapped[str] = mapped_column(String(40), unique=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    sample_ids: Mapped[list[Any]] = mapped_column(JSON)
    artifact_key: Mapped[str] = mapped_column(String(200))
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    # Likely label errors found when the version was trained (JSON rows, most suspect first);
    # deferred: only the label-issues page reads them.
    label_issues: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabelIssueDismissalRow(Base):
    """A sample reviewed on the label-issues list: hidden while its label is still ``label``."""

    __tablename__ = "label_issue_dismissals"

    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"), primary_key=True)
    sample_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # 0 while the first request with this key is still being answered.
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100), default="application/json")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The key whose request this answers: revoking the key drops its answers.
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class RateCounterRow(Base):
    """A fixed-window request counter shared by every API process (the database storage of limits)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch: the window's end, compared with the clock of the process asking.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class WebhookEndpointRow(Base):
    """Where one owner's events are sent. The signing secrets are kept as they are: signing
    needs them (as with every HMAC scheme), so they are shown once and never again."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(Text, default="")
    events: Mapped[list[Any]] = mapped_column(JSON)
    models: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDeliveryRow(Base):
    """One message to one endpoint: written in the transaction of the event it carries (or by a
    ping), claimed by a sender until ``next_attempt_at``, and updated after every attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # One message per (event, endpoint), however often the writing transaction's hook runs.
        UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event_type: Mapped[str] = mapped_column(String(40))
    # The body's JSON, fixed when the message is written: every retry sends the same bytes.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Due when in the past; a sender that claims the message moves it a lease ahead.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PoolTextRow(Base):
    """An unlabeled text beside a model (issue 12): a candidate for labeling, never trained on.

    One row per distinct text per model; a text leaves the pool when it becomes a sample. A
    text changed under the same id is a new row (a new ``pk``), so ``pk`` alone tells whether
    a scored text is still the same text (``service/suggestions.py`` keys its cache on it).
    """

    __tablename__ = "pool_texts"
    __table_args__ = (
        UniqueConstraint("model_id", "pool_id", name="uq_pool_texts_model_pool_id"),
        UniqueConstraint("model_id", "text_hash", name="uq_pool_texts_model_text_hash"),
        _NEVER_REUSE_IDS,
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    pool_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
