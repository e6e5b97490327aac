"""Domain errors as readable HTML pages with the right status, for every console route.

Errors are caught by a custom route class rather than app-wide exception handlers: the API's
handlers answer problem+json, and the console must answer the same domain errors (404 for
other owners' models, 403 for a missing scope…) as readable HTML pages without touching them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from ..errors import U22A8Error
from ..service import StoreUnavailable
from . import session
from .rendering import console_base, error_page
from .session_checks import SignInRequired

__all__ = ["ConsoleRoute"]

log = logging.getLogger("u22a8.console")


def _sign_in_redirect(request: Request) -> Response:
    target = console_base(request) + "/sign-in"
    if request.method == "GET" and not request.url.path.endswith("/events"):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(here, safe="/")
    response = RedirectResponse(target, status_code=303)
    if session.SESSION_COOKIE in request.cookies:  # an ended, expired or unknown session: forget it
        session.clear_session_cookie(response, request)
    else:
        session.clear_legacy_cookie(response, request)
    return response


class ConsoleRoute(APIRoute):
    """Turns the errors a console page can meet into HTML answers with the right status."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except SignInRequired:
                return _sign_in_redirect(request)
            except U22A8Error as exc:
                return error_page(request, exc.status, exc.title, exc.detail)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("path", "query"))
                return error_page(request, 404 if "path" in first.get("loc", ()) else 422, "Invalid address",
                                  f"{where}: {first.get('msg', 'invalid')}")
            except StoreUnavailable:
                log.error("store unavailable", exc_info=True)
                return error_page(request, 503, "Service unavailable", "The database is unavailable; retry shortly.")
            except Exception:
                log.exception("console page failed")
                return error_page(request, 500, "Internal error", "Something went wrong on our side; it was logged.")

        return handler
