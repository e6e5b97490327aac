"""The platform object: what every service call acts on, built once by ``u22a8.server``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..runs import EventDispatcher, RunExecutor, WebhookRunner
from ..settings import Settings
from ..store import IdempotencyRepository, Store
from .authentication import Authenticator
from .limits import RateLimits, StreamSlots, counter_storage
from .serving import ActiveVersions, PredictorCache
from .serving import PredictorCache
from .suggestion_cache import SuggestionCache

__all__ = ["Platform"]


@dataclass
class Platform:
    """Settings, the store, the run executor (None when runs execute elsewhere), the event dispatcher and the caches.

    Front doors hold one and pass it to the service's functions; they never reach into the
    store or the executor themselves.
    """

    settings: Settings
    store: Store
    executor: RunExecutor | None
    events: EventDispatcher
    predictors: PredictorCache
    authenticator: Authenticator = field(default=None)  # type: ignore[assignment]
    limits: RateLimits = field(default=None)  # type: ignore[assignment]
    streams: StreamSlots = field(default=None)  # type: ignore[assignment]
    # Sends webhook messages from this process (None: this process sends none, others do).
    webhooks: WebhookRunner | None = None
    # Which version serves each model, without a database read per predict (see serving.py).
    active_versions: ActiveVersions = field(default=None)  # type: ignore[assignment]
    # Scored pools for what to label next (issue 12); made from the predictors when not given.
    suggestions: SuggestionCache = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.authenticator is None:
            self.authenticator = Authenticator(self.store, self.settings.auth_cache_seconds,
                                               self.settings.console_session_seconds)
        if self.limits is None:
            self.limits = RateLimits(self.settings, counter_storage(self.settings, self.store))
        if self.streams is None:
            self.streams = StreamSlots(self.settings.max_event_streams_per_key)
        if self.active_versions is None:
            self.active_versions = ActiveVersions(self.store, self.settings.active_version_cache_seconds)
            self.active_versions.subscribe(self.events)
        if self.suggestions is None:
            self.suggestions = SuggestionCache(self.store, self.predictors)

    def is_ready(self) -> bool:
        """Whether this process can serve: the database answers."""
        return self.store.db.ping()

    def active_run_count(self) -> int:
        """Runs queued or running, on every worker."""
        return self.store.runs.active_count()

    def wake_webhooks(self) -> None:
        """A message was written outside the outbox (a ping, a retry by hand): look for it now."""
        if self.webhooks is not None:
            self.webhooks.nudge()

    @property
    def idempotency(self) -> IdempotencyRepository:
        """Answers kept for ``Idempotency-Key`` replays."""
        return self.store.idempotency
