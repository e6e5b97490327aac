"""Sign in with an API key, sign out."""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from . import session
from .form_parsing import read_form
from .html_errors import ConsoleRoute
from .rendering import console_base, render, see_other
from .session_checks import FormDep, KeyDep, PlatformDep, check_origin

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

# The sign-in form is the one form anyone may post: a key, a token and where to go next. Its
# body and its fields are capped hard, so an anonymous caller cannot make the server parse much.
SIGN_IN_MAX_BYTES = 8 * 1024
SIGN_IN_MAX_FIELDS = 8


def _safe_next(request: Request, target: str) -> str:
    """Only a path inside the console: an open redirect would make a fine phishing link."""
    base = console_base(request)
    parts = urlsplit(target)
    path = posixpath.normpath(parts.path) if parts.path else ""
    if parts.scheme or parts.netloc or "\\" in target or not path.startswith(base + "/") or "/sign-" in path:
        return base + "/models"
    return path + (f"?{parts.query}" if parts.query else "")


@router.get("")
def console_home(request: Request) -> Response:
    return RedirectResponse(console_base(request) + "/models", status_code=303)


def _sign_in_page(request: Request, next_path: str, *, error: str | None = None, status: int = 200) -> Response:
    token, is_new = session.pre_session_token(request)
    page = render(request, "sign_in.html", status=status, pre_token=token, error=error,
                  next=_safe_next(request, next_path))
    if is_new:
        session.set_pre_cookie(page, request, token)
    session.clear_legacy_cookie(page, request)
    return page


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request, request.query_params.get("next", ""))


@router.post("/sign-in")
async def sign_in(request: Request, platform: PlatformDep) -> Response:
    check_origin(request)
    form = await read_form(request, max_bytes=SIGN_IN_MAX_BYTES, max_parts=SIGN_IN_MAX_FIELDS)
    # Login CSRF (signing a victim into the attacker's key) is stopped by the double-submit token.
    if not session.tokens_match(form.get("pre"), request.cookies.get(session.PRE_COOKIE)):
        return _sign_in_page(request, form.get("next"), status=403,
                             error="The sign-in form expired. Please try again.")
    secret = form.get("key").strip()
    started = await run_in_threadpool(platform.authenticator.start_session, secret) if secret else None
    if started is None:
        return _sign_in_page(request, form.get("next"), status=401,
                             error="That key is unknown or revoked. Check it and try again.")
    _, session_id = started
    response = RedirectResponse(_safe_next(request, form.get("next")), status_code=303)
    # A session id from before (another key) ends here: one browser, one session.
    if (previous := request.cookies.get(session.SESSION_COOKIE)):
        await run_in_threadpool(platform.authenticator.end_session, previous)
    session.set_session_cookie(response, request, session_id, platform.authenticator.session_seconds)
    return response


@router.post("/sign-out")
def sign_out(request: Request, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    """Ends the session on the server, so a copy of the cookie stops working too."""
    platform.authenticator.end_session(request.state.console_session)
    response = see_other(request, "/sign-in", ("notice", "You are signed out."))
    session.clear_session_cookie(response, request)
    return response
