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
    max_body_bytes: int = Field(default=50 * 1024 * 1024, description="Largest request body accepted.")
    max_samples_per_request: int = Field(default=50_000, description="Samples in one POST.")
    max_inputs_per_predict: int = Field(default=1_000, description="Texts in one predict call.")
    max_text_chars: int = Field(default=20_000, description="Longest sample or input text.")
    max_samples_per_model: int = Field(default=1_000_000, description="Samples one model may hold.")
    max_labels_per_model: int = Field(default=1_000, description="Distinct labels one model may hold.")

    # Runs.
    run_slots: int = Field(default=1, description="Runs the embedded executor trains at once.")
    lease_seconds: float = Field(default=30.0, description="A run's lease; renewed by heartbeats.")
    max_attempts: int = Field(default=2, description="Times a run whose worker died is tried.")
    poll_seconds: float = Field(default=0.2, description="How often the scheduler looks for work.")
    default_quiet_seconds: float = Field(default=1.0, description="Quiet period before auto-retrain.")
    retrain_tolerance: float = Field(default=0.01, description="How much worse a retrain may score and still be promoted.")
    idempotency_ttl_seconds: int = Field(default=24 * 3600, description="How long Idempotency-Key replays last.")
    auth_cache_seconds: float = Field(default=5.0, description="How long an authenticated key is remembered.")
    predictor_cache_size: int = Field(default=32, description="Loaded predictors kept in memory.")
    seed: int = Field(default=0, description="Seed of every parameter search.")
    search_time_limit_seconds: float | None = Field(
        default=None, description="Caps the wall clock of every search below its effort's own ceiling."
    )
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
    webhooks_senders: int = Field(default=8, description="Webhook attempts one process makes at once.")
    webhooks_lease_seconds: float = Field(
        default=60.0, description="A claimed delivery is retried by another sender if not recorded within this."
    )
    webhooks_secret_overlap_seconds: float = Field(
        default=24 * 3600.0, description="How long a rotated-out signing secret keeps signing beside the new one."
    )

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
