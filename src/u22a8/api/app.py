"""The FastAPI application: routes, error handlers, middleware, and the platform's lifetime."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__, console
from ..runs import EventDispatcher, PredictorCache, limit_inference_threads, make_executor, use_encoders_dir
from ..settings import Settings, get_settings
from ..store import Store
from .deps import Platform
from .errors import install_error_handlers
from .middleware import BodyLimit, Idempotency, RequestMetrics
from .routes import health, keys, models, predict, runs, samples, train, versions

__all__ = ["create_app", "build_platform"]

log = logging.getLogger("u22a8.api")


def build_platform(settings: Settings, *, with_executor: bool = True) -> Platform:
    store = Store(settings.resolved_database_url, settings.resolved_artifacts,
                  idempotency_ttl=settings.idempotency_ttl_seconds)
    use_encoders_dir(settings)  # predictors of low-effort versions embed with the static model
    limit_inference_threads()  # predictions must not take the cores from training beside them
    events = EventDispatcher(store, poll_seconds=settings.poll_seconds)
    executor = make_executor(store, settings, events) if with_executor else None
    return Platform(settings=settings, store=store, executor=executor, events=events,
                    predictors=PredictorCache(store, settings.predictor_cache_size))


def create_app(settings: Settings | None = None, *, with_executor: bool = True) -> FastAPI:
    """Build the app. ``with_executor=False`` serves the API only (runs go to other processes)."""
    settings = settings or get_settings()
    platform = build_platform(settings, with_executor=with_executor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        platform.store.upgrade()
        platform.events.start()
        if platform.executor is not None:
            platform.executor.start()
        try:
            yield
        finally:
            if platform.executor is not None:
                platform.executor.stop()
            platform.events.stop()
            platform.store.close()

    app = FastAPI(
        title="u22a8",
        version=__version__,
        description="Turn labeled text samples into small, fast, well-tuned models behind an HTTP API.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    install_error_handlers(app)
    for module in (health, keys, models, samples, train, runs, versions, predict):
        app.include_router(module.router)
    app.include_router(console.router)
    app.add_middleware(Idempotency)
    app.add_middleware(RequestMetrics)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
