"""The OpenAPI document names every error a route can answer, each as application/problem+json.

FastAPI documents only a 422 with its own validation body, which this API never sends. Here
each operation gets the statuses its shape can produce, read from the route itself (does it
need a key, take path parameters, take a body, write), so a new route is documented by the
same rules without a table to keep in step. A rule is one registered entry in ``_RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from .deps import bearer_key, get_platform

__all__ = ["PROBLEM_SCHEMA", "install_problem_docs", "documented_errors", "api_routes"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details. `code` is stable: match on it, not on the text.",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "description": "https://u22a8.dev/problems/{code}"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "e.g. not_found, invalid_request, limit_exceeded, model_not_ready"},
        "detail": {"type": "string", "description": "What was wrong and what to do, for a person."},
        "errors": {"type": "array", "items": {"type": "object"},
                   "description": "Every bad field or sample, when there are several."},
    },
}

_DESCRIPTIONS = {
    400: "The request cannot be read: a body that is not JSON, or a malformed Idempotency-Key.",
    401: "No API key, or an unknown or revoked one.",
    403: "The key lacks the scope this action needs.",
    404: "No such resource for this key (another owner's model answers 404 too).",
    409: "The resource's state forbids it now (a duplicate, a model not ready or busy, a request in flight).",
    413: "The body is over the size limit.",
    415: "The body's media type is not one this route reads.",
    422: "A field, parameter or sample is invalid, or a limit is exceeded; `errors` lists each one.",
    429: "Too many requests for this key; retry after `Retry-After` seconds.",
    503: "The database or an artifact is unavailable; retry shortly.",
}

_REF = {"$ref": "#/components/schemas/Problem"}

# An included router's route seen with its prefix applied (FastAPI's RouteContext, which
# answers every APIRoute attribute); typed as APIRoute for what the rules read.
Rule = Callable[[APIRoute], bool]


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of ``app`` with its full path, included routers unfolded."""
    return [context for context in iter_route_contexts(app.routes)  # type: ignore[misc]
            if isinstance(context.original_route, APIRoute)]


def _calls(dependant: Dependant) -> Iterable[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _keyed(route: APIRoute) -> bool:
    return bearer_key in set(_calls(route.dependant))


def _uses_platform(route: APIRoute) -> bool:
    return get_platform in set(_calls(route.dependant))


def _has_path_parameters(route: APIRoute) -> bool:
    return bool(route.param_convertors)


def _has_body(route: APIRoute) -> bool:
    return route.body_field is not None or "requestBody" in (route.openapi_extra or {})


def _has_parameters(route: APIRoute) -> bool:
    dependant = route.dependant
    return bool(_has_body(route) or dependant.path_params or dependant.query_params or dependant.header_params)


def _writes(route: APIRoute) -> bool:
    return bool(route.methods & {"POST", "PATCH", "PUT", "DELETE"})


def _posts(route: APIRoute) -> bool:
    return "POST" in route.methods


# Reads that need the model's active version (409 model_not_ready without one).
_NEEDS_A_VERSION = frozenset({"get_suggestions"})


def _needs_a_version(route: APIRoute) -> bool:
    return route.operation_id in _NEEDS_A_VERSION


# (which routes, which statuses): every status a route of that shape can answer.
_RULES: list[tuple[Rule, tuple[int, ...]]] = [
    # A key meets 404 for anything its owner cannot see: a model, a run, another owner named in a body.
    (_keyed, (401, 403, 404, 429)),
    (_uses_platform, (503,)),
    (_has_path_parameters, (404,)),
    (_has_parameters, (422,)),
    (_has_body, (400, 413, 422)),
    (_writes, (409,)),
    # Idempotency-Key: malformed (400), still in flight (409), reused with another body (422).
    (_posts, (400, 409, 422)),
    (_needs_a_version, (409,)),
]


def documented_errors(route: APIRoute) -> list[int]:
    """The error statuses the document names for ``route``."""
    return sorted({status for applies, statuses in _RULES if applies(route) for status in statuses})


def _problem_response(status: int) -> dict[str, Any]:
    return {"description": _DESCRIPTIONS[status], "content": {"application/problem+json": {"schema": _REF}}}


def _document(document: dict[str, Any], routes: Iterable[APIRoute]) -> None:
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for route in routes:
        if not route.include_in_schema:
            continue
        operations = document["paths"].get(route.path_format, {})
        for method in route.methods:
            operation = operations.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            # FastAPI's own 422 describes a body this API never sends: the problem replaces it.
            responses.pop("422", None)
            for status in documented_errors(route):
                responses[str(status)] = _problem_response(status)


def install_problem_docs(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document name each route's error responses."""
    make_document = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document(make_document(), api_routes(app))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
