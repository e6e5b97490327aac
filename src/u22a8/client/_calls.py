"""Every API operation as data: the request to make and how to read its answer.

The sync and async clients run the same :class:`Call` objects, so the endpoints, bodies and
parsing live here once and the two clients only differ in how they wait for I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from ._run import Model, TrainResult
from ._types import Estimate, Key, CreatedKey, LabelIssue, PredictResult, Report, Sample, SampleCounts, Version

__all__ = ["Call", "Page", "UNSET", "calls"]

T = TypeVar("T")
# A parser gets the answer and the client (which knows whether runs are sync or async).
Parser = Callable[[httpx.Response, Any], T]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave this field alone", where None is a meaningful value


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Parser[T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def build(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        params = {k: v for k, v in (self.params or {}).items() if v is not None}
        return http.build_request(self.method, self.path, params=params or None, json=self.json,
                                  content=self.content, headers=dict(self.headers))


def _seg(value: object) -> str:
    # Sample ids are free text: quote every path segment so none can reach another route.
    return quote(str(value), safe="")


def _model_path(handle: str) -> str:
    return f"/v1/models/{_seg(handle)}"


def _none(_: httpx.Response, __: Any) -> None:
    return None


def _run(r: httpx.Response, c: Any) -> Any:
    return c._run_type.from_json(r.json(), c)


def _model(r: httpx.Response, c: Any) -> Model[Any]:
    return Model.from_json(r.json(), c._run_type, c)


def _page(item: Callable[[Mapping[str, Any], Any], T]) -> Parser[Page[T]]:
    def parse(r: httpx.Response, c: Any) -> Page[T]:
        body = r.json()
        return Page([item(d, c) for d in body["items"]], body.get("next_cursor"))
    return parse


def _json(cls: Any) -> Parser[Any]:
    return lambda r, c: cls.from_json(r.json())


class calls:  # noqa: N801 - a namespace of call builders, used as ``calls.get_model(...)``
    """Builders, one per endpoint, named after the API's operation ids."""

    # models
    @staticmethod
    def create_model(handle: str, task: str, labels: Sequence[str] | None, description: str,
                     auto_retrain: bool | Mapping[str, Any] | None, fallback_label: str | None = None,
                     fallback_min_precision: float | None = None) -> Call[Model[Any]]:
        body: dict[str, Any] = {"handle": handle, "task": task, "description": description}
        if labels is not None:
            body["labels"] = list(labels)
        if fallback_label is not None:
            body["fallback_label"] = fallback_label
        if fallback_min_precision is not None:
            body["fallback_min_precision"] = fallback_min_precision
        if auto_retrain is not None:
            body["auto_retrain"] = auto_retrain if isinstance(auto_retrain, bool) else dict(auto_retrain)
        return Call("POST", "/v1/models", _model, json=body)

    @staticmethod
    def get_model(handle: str) -> Call[Model[Any]]:
        return Call("GET", _model_path(handle), _model)

    @staticmethod
    def list_models(cursor: str | None, limit: int) -> Call[Page[Model[Any]]]:
        return Call("GET", "/v1/models", _page(lambda d, c: Model.from_json(d, c._run_type, c)),
                    params={"cursor": cursor, "limit": limit})

    @staticmethod
    def update_model(handle: str, description: Any, labels: Any, auto_retrain: Any, fallback_label: Any = UNSET,
                     fallback_min_precision: Any = UNSET) -> Call[Model[Any]]:
        body: dict[str, Any] = {}
        if fallback_label is not UNSET:
            body["fallback_label"] = fallback_label
        if fallback_min_precision is not UNSET:
            body["fallback_min_precision"] = fallback_min_precision
        if description is not UNSET:
            body["description"] = description
        if labels is not UNSET:
            body["labels"] = list(labels) if labels is not None else None
        if auto_retrain is not UNSET:
            body["auto_retrain"] = auto_retrain if isinstance(auto_retrain, bool) else dict(auto_retrain)
        return Call("PATCH", _model_path(handle), _model, json=body)

    @staticmethod
    def delete_model(handle: str) -> Call[None]:
        return Call("DELETE", _model_path(handle), _none)

    # samples
    @staticmethod
    def add_samples(handle: str, content: bytes, content_type: str) -> Call[SampleCounts]:
        return Call("POST", f"{_model_path(handle)}/samples", _json(SampleCounts), content=content,
                    headers={"Content-Type": content_type})

    @staticmethod
    def list_samples(handle: str, label: str | None, cursor: str | None, limit: int) -> Call[Page[Sample]]:
        return Call("GET", f"{_model_path(handle)}/samples", _page(lambda d, c: Sample.from_json(d)),
                    params={"label": label, "cursor": cursor, "limit": limit})

    @staticmethod
    def delete_sample(handle: str, sample_id: str) -> Call[None]:
        return Call("DELETE", f"{_model_path(handle)}/samples/{_seg(sample_id)}", _none)

    # label issues
    @staticmethod
    def list_label_issues(handle: str, limit: int) -> Call[list[LabelIssue]]:
        return Call("GET", f"{_model_path(handle)}/label-issues",
                    lambda r, c: [LabelIssue.from_json(d) for d in r.json()["items"]], params={"limit": limit})

    @staticmethod
    def dismiss_label_issue(handle: str, sample_id: str) -> Call[None]:
        return Call("POST", f"{_model_path(handle)}/label-issues/{_seg(sample_id)}/dismiss", _none)

    # train
    @staticmethod
    def train_model(handle: str, effort: str | None, reoptimize: bool) -> Call[dict[str, Any]]:
        body: dict[str, Any] = {"effort": effort}
        if reoptimize:
            body["reoptimize_params"] = True
        return Call("POST", f"{_model_path(handle)}/train", lambda r, c: dict(r.json()), json=body)

    @staticmethod
    def estimate_training(handle: str) -> Call[Estimate]:
        return Call("GET", f"{_model_path(handle)}/train/estimate", _json(Estimate))

    # runs
    @staticmethod
    def get_run(handle: str, run_id: str) -> Call[Any]:
        return Call("GET", f"{_model_path(handle)}/runs/{_seg(run_id)}", _run)

    @staticmethod
    def list_runs(handle: str, cursor: str | None, limit: int) -> Call[Page[Any]]:
        return Call("GET", f"{_model_path(handle)}/runs", _page(lambda d, c: c._run_type.from_json(d, c)),
                    params={"cursor": cursor, "limit": limit})

    @staticmethod
    def cancel_run(handle: str, run_id: str) -> Call[Any]:
        return Call("POST", f"{_model_path(handle)}/runs/{_seg(run_id)}/cancel", _run)

    @staticmethod
    def run_events_path(handle: str, run_id: str) -> str:
        return f"{_model_path(handle)}/runs/{_seg(run_id)}/events"

    # versions
    @staticmethod
    def list_versions(handle: str) -> Call[list[Version]]:
        return Call("GET", f"{_model_path(handle)}/versions", lambda r, c: [Version.from_json(d) for d in r.json()])

    @staticmethod
    def activate_version(handle: str, number: int) -> Call[Version]:
        return Call("POST", f"{_model_path(handle)}/versions/{int(number)}/activate", _json(Version))

    @staticmethod
    def version_report(handle: str, number: int) -> Call[Report]:
        return Call("GET", f"{_model_path(handle)}/versions/{int(number)}/report", _json(Report))

    @staticmethod
    def export_path(handle: str, number: int) -> str:
        return f"{_model_path(handle)}/versions/{int(number)}/export"

    # predict
    @staticmethod
    def predict(handle: str, inputs: str | Sequence[str], top_k: int | None, version: int | None) -> Call[PredictResult]:
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        body: dict[str, Any] = {"inputs": texts}
        if top_k is not None:
            body["top_k"] = top_k
        if version is not None:
            body["version"] = version
        return Call("POST", f"{_model_path(handle)}/predict", _json(PredictResult), json=body)

    # keys
    @staticmethod
    def create_key(scopes: Sequence[str], owner: str | None, name: str,
                   rate_limits: str | None = None) -> Call[CreatedKey]:
        body: dict[str, Any] = {"scopes": list(scopes), "name": name}
        if owner is not None:
            body["owner"] = owner
        if rate_limits is not None:
            body["rate_limits"] = rate_limits
        return Call("POST", "/v1/keys", _json(CreatedKey), json=body)

    @staticmethod
    def list_keys() -> Call[list[Key]]:
        return Call("GET", "/v1/keys", lambda r, c: [Key.from_json(d) for d in r.json()])

    @staticmethod
    def revoke_key(key_id: str) -> Call[Key]:
        return Call("DELETE", f"/v1/keys/{_seg(key_id)}", _json(Key))

    # health
    @staticmethod
    def readyz() -> Call[dict[str, Any]]:
        return Call("GET", "/readyz", lambda r, c: dict(r.json()))


def train_result(body: Mapping[str, Any], run: Any) -> TrainResult[Any]:
    return TrainResult(state=body["state"], run=run, raw=body)
