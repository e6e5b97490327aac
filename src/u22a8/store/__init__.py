"""Persistence: tables, repositories, migrations and artifacts. Knows no HTTP and no models."""

from __future__ import annotations

from pathlib import Path

from .artifacts import ArtifactCorrupt, ArtifactStore, open_artifacts
from .database import Database, StoreUnavailable, utcnow
from .events import EventRepository
from .idempotency import IdempotencyRepository, StoredResponse
from .keys import SCOPES, KeyRepository
from .label_issues import LabelIssueRepository
from .models import DeletedModel, ModelRepository
from .rate_counters import DatabaseCounterStorage
from ..resources import (
    FINAL_RUN_STATES,
    ApiKey,
    LabelIssue,
    Model,
    Run,
    RunEvent,
    Sample,
    SampleCounts,
    PoolCounts,
    PoolText,
    SampleStats,
    Suggestion,
    TrainingSample,
    Version,
    WebhookDelivery,
    WebhookEndpoint,
)
from .pool import NewPoolText, PoolRepository, PoolRows, PoolState
from .runs import RunRepository, SearchAlreadyActive
from .sessions import SessionRepository
from .samples import NewSample, SampleRepository, text_hash, text_key
from .versions import NewVersion, VersionRepository
from .webhook_payloads import WEBHOOK_EVENT_TYPES
from .webhooks import AttemptOutcome, ClaimedDelivery, WebhookRepository

__all__ = [
    "Store",
    "Database",
    "EventRepository",
    "SessionRepository",
    "LabelIssueRepository",
    "LabelIssue",
    "DatabaseCounterStorage",
    "IdempotencyRepository",
    "StoreUnavailable",
    "ArtifactStore",
    "ArtifactCorrupt",
    "open_artifacts",
    "ApiKey",
    "Model",
    "DeletedModel",
    "Run",
    "RunEvent",
    "Sample",
    "SampleCounts",
    "SampleStats",
    "TrainingSample",
    "Version",
    "WebhookEndpoint",
    "WebhookDelivery",
    "WebhookRepository",
    "ClaimedDelivery",
    "AttemptOutcome",
    "WEBHOOK_EVENT_TYPES",
    "NewSample",
    "NewPoolText",
    "PoolRepository",
    "PoolRows",
    "PoolState",
    "PoolText",
    "PoolCounts",
    "Suggestion",
    "NewVersion",
    "SearchAlreadyActive",
    "StoredResponse",
    "SCOPES",
    "FINAL_RUN_STATES",
    "text_hash",
    "text_key",
    "utcnow",
]


class Store:
    """Every repository over one database, plus the artifact store.

    The URL picks the backend: ``sqlite:///…`` (embedded default) or ``postgresql+psycopg://…``
    (scale-out); both run the same code and the same migrations.
    """

    def __init__(self, database_url: str, artifacts: str | Path, *, idempotency_ttl: int = 86400) -> None:
        self.db = Database(database_url)
        self.keys = KeyRepository(self.db)
        self.sessions = SessionRepository(self.db)
        self.models = ModelRepository(self.db)
        self.samples = SampleRepository(self.db)
        self.pool = PoolRepository(self.db)
        self.events = EventRepository(self.db)
        self.runs = RunRepository(self.db, self.events)
        self.versions = VersionRepository(self.db)
        self.label_issues = LabelIssueRepository(self.db)
        self.webhooks = WebhookRepository(self.db, self.events)
        self.idempotency = IdempotencyRepository(self.db, idempotency_ttl)
        self.artifacts: ArtifactStore = open_artifacts(artifacts)

    def upgrade(self) -> None:
        self.db.upgrade()

    def close(self) -> None:
        self.db.dispose()
