"""What every signed-in page depends on: the platform, the cookie's key, CSRF-checked forms."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..errors import Forbidden
from ..service import ApiKey, Platform
from . import session
from .form_parsing import FormData, read_form

__all__ = ["PlatformDep", "KeyDep", "FormDep", "UploadFormDep", "SignInRequired", "CsrfRejected", "check_origin"]


class SignInRequired(Exception):
    """No valid key cookie: the browser is sent to the sign-in page."""


class CsrfRejected(Forbidden):
    code, title = "csrf_failed", "Form rejected"


async def _platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]


PlatformDep = Annotated[Platform, Depends(_platform)]


async def signed_in(request: Request, platform: PlatformDep) -> ApiKey:
    """The key of the cookie's session, through the platform's one authenticator (as a Bearer header is).

    Asked of the database on every request: sign-out, expiry and revoking the key anywhere end it.
    """
    session_id = request.cookies.get(session.SESSION_COOKIE, "")
    key = await run_in_threadpool(platform.authenticator.session_key, session_id) if session_id else None
    if key is None:
        raise SignInRequired()
    request.state.console_key = key
    request.state.console_session = session_id
    request.state.console_csrf = session.csrf_token(session_id)
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


async def _checked(request: Request, max_bytes: int) -> FormData:
    check_origin(request)
    form = await read_form(request, max_bytes=max_bytes)
    if not session.tokens_match(form.get("csrf"), request.state.console_csrf):
        raise CsrfRejected("the form's security token does not match your session; reload the page and try again")
    return form


async def checked_form(request: Request, key: KeyDep, platform: PlatformDep) -> FormData:
    """A signed-in form post whose CSRF token matches the session (read only once signed in)."""
    return await _checked(request, platform.settings.max_small_body_bytes)


async def checked_upload_form(request: Request, key: KeyDep, platform: PlatformDep) -> FormData:
    """The same for the form that uploads a sample file, held to the upload limit instead."""
    return await _checked(request, platform.settings.max_body_bytes)


FormDep = Annotated[FormData, Depends(checked_form)]
UploadFormDep = Annotated[FormData, Depends(checked_upload_form)]
