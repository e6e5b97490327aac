"""The composition root: settings → store → executor → caches → Platform → the app with both front doors.

Nothing else builds these objects: ``u22a8 serve``, the quickstart and the tests call
:func:`create_app` (or :func:`build_platform` for the platform alone).
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from . import api, console
from ._version import __version__
from .runs import EventDispatcher, exit_with_parent, make_executor, make_webhook_runner, use_encoders_dir
from .service import Platform, PredictorCache, limit_inference_threads, warm_serving
from .settings import Settings, get_settings
from .store import Store

__all__ = ["create_app", "build_platform", "api_only_app", "keep_startup_objects_out_of_gc", "Runner"]


def build_platform(settings: Settings, *, with_executor: bool = True) -> Platform:
    store = Store(settings.resolved_database_url, settings.resolved_artifacts,
                  idempotency_ttl=settings.idempotency_ttl_seconds)
    use_encoders_dir(settings)  # predictors of low-effort versions embed with the static model
    limit_inference_threads()  # predictions must not take the cores from training beside them
    events = EventDispatcher(store, poll_seconds=settings.poll_seconds)
    executor = make_executor(store, settings, events) if with_executor else None
    predictors = PredictorCache(store, settings.predictor_cache_size)
    predictors.subscribe(events)  # a model deleted through any API process leaves this cache
    sends = with_executor and settings.webhooks_senders > 0
    webhooks = make_webhook_runner(store, settings, events) if sends else None
    platform = Platform(settings=settings, store=store, executor=executor, events=events, predictors=predictors,
                        webhooks=webhooks)
    platform.suggestions.subscribe(events)  # a new version rescores the pools this process serves
    return platform


def create_app(settings: Settings | None = None, *, with_executor: bool = True) -> FastAPI:
    """Build the app. ``with_executor=False`` serves the API only (runs go to other processes)."""
    settings = settings or get_settings()
    platform = build_platform(settings, with_executor=with_executor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        platform.store.upgrade()
        warm_serving()  # before the first request, which would otherwise wait for it
        platform.events.start()
        if platform.executor is not None:
            platform.executor.start()
        if platform.webhooks is not None:
            platform.webhooks.start()
        try:
            yield
        finally:
            if platform.webhooks is not None:
                platform.webhooks.stop()
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
    api.install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(console.router)
    app.add_middleware(api.PredictLane)  # innermost: the ordinary predict call skips FastAPI's routing
    app.add_middleware(api.RequestMetrics)
    app.add_middleware(api.BodyLimit, max_bytes=settings.max_body_bytes)
    # Outermost: a request naming a host this deployment does not serve is refused before anything.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_host_list, www_redirect=False)
    return app


def keep_startup_objects_out_of_gc() -> None:
    """Leave what startup built (modules, the app, the platform: hundreds of thousands of
    objects that live as long as the process) out of the cyclic garbage collector's full
    passes. A request that allocates many objects (a 20k-sample upload) set off a full pass
    over all of them every other time, which cost it more than validating its samples.

    For a serving process, once its app is built: objects frozen here are never collected as
    cycles, which is right for what lives as long as the process and wrong for a test that
    builds many apps."""
    gc.collect()
    gc.freeze()


def api_only_app() -> FastAPI:
    """The app of one of several API processes (``u22a8 serve --workers N``): settings from the
    environment, no executor and no webhook sender (the supervising process runs them)."""
    from .quiet import quiet_libraries

    quiet_libraries()  # each API process filters its own warnings (the environment came from the parent)
    # uvicorn's supervisor gives its processes no way to learn that it was killed: without this
    # they would keep answering on the port after ``kill -9`` of ``serve``.
    exit_with_parent(os.getppid())
    app = create_app(get_settings(), with_executor=False)
    keep_startup_objects_out_of_gc()
    return app


class Runner:
    """The embedded executor and webhook sender without an API: what the supervising process
    of ``u22a8 serve --workers N`` runs, once, beside the N API processes it starts."""

    def __init__(self, settings: Settings) -> None:
        self.store = Store(settings.resolved_database_url, settings.resolved_artifacts,
                           idempotency_ttl=settings.idempotency_ttl_seconds)
        use_encoders_dir(settings)
        self.events = EventDispatcher(self.store, poll_seconds=settings.poll_seconds)
        self.executor = make_executor(self.store, settings, self.events)
        self.webhooks = make_webhook_runner(self.store, settings, self.events) if settings.webhooks_senders > 0 else None

    def start(self) -> None:
        self.store.upgrade()  # before any API process starts: they then find the schema current
        self.events.start()
        self.executor.start()
        if self.webhooks is not None:
            self.webhooks.start()

    def stop(self) -> None:
        if self.webhooks is not None:
            self.webhooks.stop()
        self.executor.stop()
        self.events.stop()
        self.store.close()
