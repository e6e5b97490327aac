"""API keys, for admins: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from .. import service
from ..errors import U22A8Error
from ..service import ApiKey, Platform
from . import session
from .html_errors import ConsoleRoute
from .rendering import render, see_other
from .session_checks import FormDep, KeyDep, PlatformDep

router = APIRouter(prefix="/console/keys", route_class=ConsoleRoute, include_in_schema=False)


def _keys_page(request: Request, platform: Platform, key: ApiKey, created: tuple[ApiKey, str] | None = None) -> Response:
    keys = service.list_keys(platform, key)
    return render(request, "keys.html", keys=keys, created=created[0] if created else None,
                  secret=created[1] if created else None, scopes=service.SCOPES,
                  any_owner=service.key_scope_owner(key) is None, own_key_id=key.id)


@router.get("")
def keys_page(request: Request, key: KeyDep, platform: PlatformDep) -> Response:
    return _keys_page(request, platform, key)


@router.post("")
def create_key(request: Request, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        created = service.create_key(platform, key, form.get("owner").strip() or None, form.getall("scopes"),
                                     form.get("name").strip())
    except U22A8Error as exc:
        if exc.status != 422:
            raise
        return see_other(request, "/keys", ("error", exc.detail))
    # Rendered in answer to the POST, never redirected: the secret must not sit in a cookie or a URL.
    return _keys_page(request, platform, key, created)


@router.get("/{key_id}/revoke")
def confirm_revoke(request: Request, key_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    """Revoking cannot be undone: say which key, and what it ends, before doing it."""
    target = service.key_to_revoke(platform, key, key_id)
    return render(request, "key_revoke.html", target=target, own=target.id == key.id)


@router.post("/{key_id}/revoke")
def revoke_key(request: Request, key_id: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    revoked = service.revoke_key(platform, key, key_id)
    if revoked.id == key.id:  # the console's own session just ended
        response = see_other(request, "/sign-in", ("notice", "You revoked the key you were signed in with."))
        session.clear_session_cookie(response, request)
        return response
    return see_other(request, "/keys", ("notice", f"Revoked key {revoked.prefix}… ({revoked.name or 'unnamed'})."))
