"""The HTTP API v1: one front door over ``u22a8.service`` (the app is built by ``u22a8.server``)."""

from __future__ import annotations

from fastapi import APIRouter

from .errors import install_error_handlers
from .middleware import BodyLimit, RequestMetrics
from .predict_lane import PredictLane
from .routes import health, keys, label_issues, models, pool, predict, runs, samples, train, versions, webhooks

__all__ = ["router", "install_error_handlers", "BodyLimit", "RequestMetrics", "PredictLane"]

router = APIRouter()
for _module in (health, keys, models, samples, pool, train, runs, versions, predict, webhooks, label_issues):
    router.include_router(_module.router)
