"""Predictions from a model's active version (or a named one), within the platform's limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import InvalidRequest, LimitExceeded, ModelNotReady
from ..store import ApiKey
from .access import checked_version_number, enter
from .platform import Platform

__all__ = ["QUICK_SECONDS", "PredictCost", "Prediction", "predict", "check_predict_inputs", "predict_cost", "predict_is_quick"]

# Work a request may do on the event loop itself: below this, a hop to a worker thread (and back)
# costs more than it spares. Estimated from the predictor's own cost per text (see fast_path).
QUICK_SECONDS = 0.002


@dataclass(frozen=True)
class Prediction:
    """The version that answered, and one prediction per input, in input order, as the JSON
    array a client receives: an API process sends these bytes as they are (written from the
    predictor's arrays, no Python objects per score: see ``Predictor.predict_json``)."""

    version: int
    predictions_json: bytes

    @property
    def predictions(self) -> list[dict[str, Any]]:
        """The predictions as Python objects (decoded: for callers other than the API)."""
        return orjson.loads(self.predictions_json)  # type: ignore[no-any-return]


def check_predict_inputs(platform: Platform, inputs: list[str]) -> None:
    """The limits of one predict call: inputs per call and characters per input."""
    for i, text in enumerate(inputs):
        if "\x00" in text:
            raise InvalidRequest(f"inputs: input {i} contains a NUL byte")
    limits = platform.settings
    if len(inputs) > limits.max_inputs_per_predict:
        raise LimitExceeded(f"{len(inputs)} inputs; the limit is {limits.max_inputs_per_predict} per call")
    for i, text in enumerate(inputs):
        if len(text) > limits.max_text_chars:
            raise LimitExceeded(f"input {i} has {len(text)} characters; the limit is {limits.max_text_chars}")


def predict(
    platform: Platform, key: ApiKey, handle: str, inputs: list[str], *, top_k: int | None = None,
    version: int | None = None,
) -> Prediction:
    """Predictions in input order, from the active version (or ``version``, to compare)."""
    enter(platform, key, "read", handle, limit_class="predict")
    check_predict_inputs(platform, inputs)
    if version is not None:
        chosen = platform.store.versions.get(handle, checked_version_number(handle, version))
    else:
        found = platform.active_versions.get(handle)
        if found is None:
            raise ModelNotReady(f"{handle} has no trained version yet; train it and wait for state 'ready'")
        chosen = found
    predictor = platform.predictors.get(chosen)
    return Prediction(chosen.number, predictor.predict_json(inputs, top_k=top_k))


@dataclass(frozen=True)
class PredictCost:
    """What :func:`predict` costs when its predictor is in memory (see :func:`predict_cost`)."""

    seconds: float  # the predictor's own estimate for these inputs (see fast_path)
    counter_io: bool  # the key's rate-limit count is a round trip to the database or Redis

    @property
    def quick(self) -> bool:
        """Short and without I/O: worth answering on the event loop, not through a worker thread."""
        return not self.counter_io and self.seconds <= QUICK_SECONDS


def predict_cost(platform: Platform, key: ApiKey | None, handle: str, n_inputs: int,
                 version: int | None) -> PredictCost | None:
    """What :func:`predict` would cost, when it reads nothing but the rate-limit counters: the
    serving version remembered and its predictor loaded (else None: a database read or a first
    load). ``counter_io`` unless the key's count needs no I/O (:meth:`RateLimits.counts_in_memory`;
    with no ``key`` named, only counters in this process need none)."""
    if version is not None:
        return None
    active = platform.active_versions.cached(handle)
    if active is None:
        return None
    predictor = platform.predictors.loaded(active)
    if predictor is None:
        return None
    in_memory = platform.limits.in_process if key is None else platform.limits.counts_in_memory(key, "predict")
    return PredictCost(float(n_inputs * predictor.compile().seconds_per_text), not in_memory)


def predict_is_quick(platform: Platform, handle: str, n_inputs: int, version: int | None,
                     key: ApiKey | None = None) -> bool:
    """Whether :func:`predict` would answer from memory alone, in less than :data:`QUICK_SECONDS`
    (see :func:`predict_cost`). A front door may then call it on its event loop rather than
    through a worker thread; anything else (a database read, a first load, a large batch, a
    network embedder, counters in the database) goes through the thread pool."""
    cost = predict_cost(platform, key, handle, n_inputs, version)
    return cost is not None and cost.quick
