"""Every error leaves as application/problem+json (RFC 9457) with a stable ``code``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import U22A8Error
from ..service import StoreUnavailable
from .problem_docs import install_problem_docs

__all__ = ["install_error_handlers", "problem", "error_response"]

log = logging.getLogger("u22a8.api")

_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
}


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"https://u22a8.dev/problems/{code}", "title": title, "status": status, "code": code,
            "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _clean_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [p for p in e.get("loc", ()) if p != "body"]
        out.append({"loc": loc, "msg": e.get("msg", ""), "type": e.get("type", "")})
    return out


def _domain_problem(exc: U22A8Error) -> JSONResponse:
    response = problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


def _validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = _clean_errors(list(exc.errors()))
    first = errors[0] if errors else {"loc": [], "msg": "invalid"}
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return problem(422, "invalid_request", "Invalid request", f"{where}: {first['msg']}", errors=errors)


def error_response(exc: Exception) -> JSONResponse | None:
    """The answer a domain or validation error stands for (None for any other exception)."""
    if isinstance(exc, U22A8Error):
        return _domain_problem(exc)
    if isinstance(exc, RequestValidationError):
        return _validation_problem(exc)
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as a problem, and name each route's problems in the OpenAPI document."""
    install_problem_docs(app)

    @app.exception_handler(U22A8Error)
    async def _domain(_: Request, exc: U22A8Error) -> JSONResponse:
        return _domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return problem(exc.status_code, code, code.replace("_", " ").capitalize(), str(exc.detail))

    @app.exception_handler(StoreUnavailable)
    async def _store(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("store unavailable: %s", exc)
        return problem(503, "unavailable", "Service unavailable", "the database is unavailable; retry shortly")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "internal_error", "Internal error", "an unexpected error occurred")
