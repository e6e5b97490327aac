"""One typed settings object, read from ``U22A8_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Every knob of the platform. Each field is ``U22A8_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="U22A8_", extra="ignore")

    home: Path = Field(default=Path(".u22a8"), description="Data directory (SQLite, artifacts, cache).")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in home.")
    broker_url: str | None = Field(default=None, description="Celery broker URL; unset = embedded executor.")
    artifacts_dir: str | None = Field(
        default=None, description="Artifacts: a directory (a shared mount at scale) or an fsspec URL; default home/artifacts."
    )
    feature_cache_dir: Path | None = Field(
        default=None, description="Cached per-text features; default beside local artifacts, else home/feature-cache."
    )
    models_dir: Path | None = Field(
        default=None, description="Models derived on this machine (distilled static embeddings); default ~/.cache/u22a8/models."
    )
    prepare_models: bool = Field(
        default=True,
        description="Distill missing derived models (the static embeddings) in the background at start; "
                    "false leaves low effort on n-grams alone until `u22a8 prepare` has run.",
    )

    # Limits: each answered with a clear problem+json error when exceeded.
    max_body_bytes: int = Field(
        default=50 * 1024 * 1024, description="Largest sample upload (the samples POST, the console's upload form)."
    )
    max_small_body_bytes: int = Field(
        default=4 * 1024 * 1024, description="Largest body of every other request (JSON bodies, console forms)."
    )
    max_samples_per_request: int = Field(default=50_000, description="Samples in one POST.")
    max_inputs_per_predict: int = Field(default=1_000, description="Texts in one predict call.")
    max_text_chars: int = Field(default=20_000, description="Longest sample or input text.")
    max_samples_per_model: int = Field(default=1_000_000, description="Samples one model may hold.")
    max_labels_per_model: int = Field(default=1_000, description="Distinct labels one model may hold.")

    # The console and the HTTP edge.
    console_session_seconds: float = Field(
        default=12 * 3600, gt=0,
        description="How long a console sign-in lasts; sign-out and revoking its key end it sooner.",
    )
    cookie_secure: bool = Field(
        default=False,
        description="Always mark console cookies Secure (behind a TLS-terminating proxy); "
                    "otherwise only requests that arrive over https get them.",
    )
    trusted_hosts: str = Field(
        default="*",
        description="Comma-separated Host names the server answers (`*.example.com` allowed); "
                    "others get 400. `*` answers any.",
    )

    # Runs.
    run_slots: int = Field(default=1, description="Runs the embedded executor trains at once.")
    lease_seconds: float = Field(default=30.0, description="A run's lease; renewed by heartbeats.")
    max_attempts: int = Field(default=2, description="Times a run whose worker died is tried.")
    poll_seconds: float = Field(default=0.2, description="How often the scheduler looks for work.")
    default_quiet_seconds: float = Field(default=1.0, description="Quiet period before auto-retrain.")
    retrain_tolerance: float = Field(default=0.01, description="How much worse a retrain may score and still be promoted.")
    idempotency_ttl_seconds: int = Field(default=24 * 3600, description="How long Idempotency-Key replays last.")
    idempotency_max_body_bytes: int = Field(
        default=64 * 1024, description="Largest answer kept for an Idempotency-Key replay; a larger one is not kept."
    )

    # Per-key request limits (the `limits` library's notation, e.g. "600/minute"; "none" lifts a class).
    rate_limit_predict: str = Field(default="6000/minute", description="Predict calls per key.")
    rate_limit_writes: str = Field(default="600/minute", description="Writes per key: models, samples, versions, runs, keys.")
    rate_limit_train: str = Field(default="60/minute", description="Train requests per key.")
    rate_limit_storage: str | None = Field(
        default=None,
        description="Where the counters live: 'memory', 'database', or a limits storage URL (redis://...); "
                    "default: memory without a broker, the broker's Redis, else the database.",
    )
    max_event_streams_per_key: int = Field(default=10, description="Run event streams one key holds open at once.")
    auth_cache_seconds: float = Field(default=5.0, description="How long an authenticated key is remembered.")
    predictor_cache_size: int = Field(default=32, description="Loaded predictors kept in memory.")
    active_version_cache_seconds: float = Field(
        default=5.0, ge=0, description="Longest an API process answers from a model's remembered serving version "
                                       "when it cannot read the events outbox (0: read it on every predict).")
    seed: int = Field(default=0, description="Seed of every parameter search.")
    search_time_limit_seconds: float | None = Field(
        default=None, description="Caps the wall clock of every search below its effort's own ceiling."
    )
    train_memory_gb: float = Field(
        default=8.0, gt=0, description="Memory a search may fill, in GiB (all of the server's processes): a large "
                                       "model trains on the rows that fit, which the run's report says.")
    search_helpers: int = Field(
        default=3, description="Extra workers a max-effort search asks to share its trials (scale-out only)."
    )

    # Webhooks (docs/webhooks.md).
    webhooks_allow_private: bool = Field(
        default=False,
        description="Allow http and private, loopback or link-local webhook addresses (development and tests only).",
    )
    webhooks_retry_schedule: str = Field(
        default="5,300,1800,7200,18000,36000,36000",
        description="Seconds before each retry of a failed webhook delivery, comma-separated; "
                    "the message fails after the last.",
    )
    webhooks_disable_after_seconds: float = Field(
        default=5 * 24 * 3600.0, description="An endpoint failing this long without one success is disabled."
    )
    webhooks_connect_timeout_seconds: float = Field(default=5.0, description="Connect timeout of a webhook attempt.")
    webhooks_timeout_seconds: float = Field(default=15.0, description="Total time one webhook attempt may take.")
    webhooks_max_response_bytes: int = Field(default=64 * 1024, description="Response body read from a receiver, at most.")
    webhooks_senders: int = Field(default=8, ge=0, description="Webhook attempts one process makes at once "
                                  "(0: this process sends none; messages wait for a process that does).")
    webhooks_lease_seconds: float = Field(
        default=60.0, description="A claimed delivery is retried by another sender if not recorded within this."
    )
    webhooks_secret_overlap_seconds: float = Field(
        default=24 * 3600.0, description="How long a rotated-out signing secret keeps signing beside the new one."
    )

    @property
    def trusted_host_list(self) -> list[str]:
        return [h.strip() for h in self.trusted_hosts.split(",") if h.strip()] or ["*"]

    @property
    def train_memory_bytes(self) -> float:
        return self.train_memory_gb * 2**30

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'u22a8.db').resolve()}"

    @property
    def resolved_artifacts(self) -> str:
        if self.artifacts_dir and "://" in self.artifacts_dir:
            return self.artifacts_dir
        return str(Path(self.artifacts_dir or self.home / "artifacts").resolve())

    @property
    def resolved_models_dir(self) -> Path:
        # Machine-wide by default: the files derive from an installed package, not from any
        # home's data, so every home (and every test server) can share one copy.
        return (self.models_dir or Path.home() / ".cache" / "u22a8" / "models").resolve()

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        """The retry schedule as seconds, one per retry after the first attempt."""
        return tuple(float(part) for part in self.webhooks_retry_schedule.split(",") if part.strip())

    @property
    def resolved_feature_cache_dir(self) -> Path:
        if self.feature_cache_dir is not None:
            return self.feature_cache_dir.resolve()
        if "://" in self.resolved_artifacts:
            return (self.home / "feature-cache").resolve()
        return Path(self.resolved_artifacts) / "feature-cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
