"""The console's plumbing: templates, the signed-in key, CSRF-checked forms, HTML errors.

Errors are caught by a custom route class rather than app-wide exception handlers: the API's
handlers answer problem+json, and the console must answer the same domain errors (404 for
other owners' models, 403 for a missing scope…) as readable HTML pages without touching them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..api.deps import PlatformDep
from ..errors import Forbidden, U22A8Error
from ..store import ApiKey, StoreUnavailable
from . import session, views
from .assets import asset_url
from .forms import FormData, read_form

__all__ = [
    "ConsoleRoute",
    "SignInRequired",
    "KeyDep",
    "FormDep",
    "render",
    "see_other",
    "console_base",
]

log = logging.getLogger("u22a8.console")

TEMPLATES = Path(__file__).parent / "templates"

# Locked down: every script, style and image is served by u22a8 itself, and nothing may
# frame the console (clickjacking a rollback button would otherwise be possible).
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages show a tenant's data (and once, a new key's secret): keep them out of caches.
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(views.FILTERS)
_env.globals["asset"] = asset_url


class SignInRequired(Exception):
    """No valid key cookie: the browser is sent to the sign-in page."""


class CsrfRejected(Forbidden):
    code, title = "csrf_failed", "Form rejected"


def console_base(request: Request) -> str:
    # Honour a proxy's root_path so links and the cookie path still line up.
    return str(request.scope.get("root_path", "")).rstrip("/") + "/console"


def signed_in(request: Request, platform: PlatformDep) -> ApiKey:
    secret = request.cookies.get(session.KEY_COOKIE, "")
    key = platform.store.keys.authenticate(secret) if secret else None
    if key is None:
        raise SignInRequired()
    request.state.console_key = key
    request.state.console_csrf = session.csrf_token(secret)
    return key


KeyDep = Annotated[ApiKey, Depends(signed_in)]


def check_origin(request: Request) -> None:
    """Refuse a form posted from another origin, when the browser says where it came from."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    # Compare hosts only: a TLS-terminating proxy changes the scheme the app sees. A proxy that
    # rewrites Host usually says the public one in X-Forwarded-Host; a cross-site form cannot
    # set that header, so trusting it here opens nothing.
    ours = {request.headers.get("host", "")}
    ours.update(h.strip() for h in request.headers.get("x-forwarded-host", "").split(",") if h.strip())
    if origin == "null" or urlsplit(origin).netloc not in ours:
        raise CsrfRejected("this form was sent from another site; open the console and try again")


async def checked_form(request: Request, key: KeyDep) -> FormData:
    """A signed-in form post whose CSRF token matches the session."""
    check_origin(request)
    form = await read_form(request)
    if not session.tokens_match(form.get("csrf"), request.state.console_csrf):
        raise CsrfRejected("the form's security token does not match your session; reload the page and try again")
    return form


FormDep = Annotated[FormData, Depends(checked_form)]


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    key: ApiKey | None = getattr(request.state, "console_key", None)
    flash = session.read_flash(request)
    page = {
        "base": console_base(request),
        "key": key,
        "is_admin": key is not None and "admin" in key.scopes,
        "csrf": getattr(request.state, "console_csrf", ""),
        "flash": flash,
        "path": request.url.path,
    }
    page.update(context)
    html = _env.get_template(template).render(page)
    response = HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)
    if flash is not None:
        session.clear_flash(response, request)
    return response


def see_other(request: Request, path: str, flash: tuple[Literal["notice", "error"], str] | None = None) -> Response:
    """Post/redirect/get: answer a form with a redirect and carry its outcome in a flash cookie."""
    response = RedirectResponse(console_base(request) + path, status_code=303)
    if flash is not None:
        session.set_flash(response, request, *flash)
    return response


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(request, "error.html", status=status, title=title, detail=detail)


def _sign_in_redirect(request: Request) -> Response:
    target = console_base(request) + "/sign-in"
    if request.method == "GET" and not request.url.path.endswith("/events"):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(here, safe="/")
    response = RedirectResponse(target, status_code=303)
    if session.KEY_COOKIE in request.cookies:  # a revoked or unknown key: forget it
        session.clear_key_cookie(response, request)
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
