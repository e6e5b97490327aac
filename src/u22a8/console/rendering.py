"""Pages out: the Jinja environment, security headers, flash-carrying redirects, error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..service import ApiKey
from . import session
from .assets import asset_url
from .filters import FILTERS

__all__ = ["render", "see_other", "error_page", "console_base"]

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
_env.filters.update(FILTERS)
_env.globals["asset"] = asset_url


def console_base(request: Request) -> str:
    # Honour a proxy's root_path so links and the cookie path still line up.
    return str(request.scope.get("root_path", "")).rstrip("/") + "/console"


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
