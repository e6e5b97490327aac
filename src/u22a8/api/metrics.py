"""Prometheus metrics: request counts and latencies, predictions, runs in flight."""

from __future__ import annotations

import os

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from ..service import Platform

__all__ = ["REGISTRY", "REQUESTS", "LATENCY", "PREDICTIONS", "refresh_gauges"]

# A registry of our own: several apps in one test process must not collide on the global one.
REGISTRY = CollectorRegistry()
REQUESTS = Counter("u22a8_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "u22a8_http_request_seconds", "HTTP request latency", ["method", "route"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PREDICTIONS = Counter("u22a8_predictions_total", "Texts predicted", registry=REGISTRY)
ACTIVE_RUNS = Gauge("u22a8_runs_active", "Runs queued or running", registry=REGISTRY)
# Which API process answered (several serve behind one port with `serve --workers N`), and
# whether it runs the embedded executor (only the supervising process does then).
API_PROCESS = Gauge("u22a8_api_process", "This API process: its pid, and 1 in executor if it runs the executor",
                    ["pid", "executor"], registry=REGISTRY)


def refresh_gauges(platform: Platform) -> None:
    ACTIVE_RUNS.set(platform.active_run_count())
    API_PROCESS.labels(str(os.getpid()), "1" if platform.executor is not None else "0").set(1)
