"""API keys, for admins: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..api.auth import require
from ..api.deps import Platform, PlatformDep
from ..api.presenters import key_public
from ..api.schemas import KeyCreated
from ..errors import U22A8Error
from ..store import SCOPES, ApiKey
from . import actions, session
from .web import ConsoleRoute, FormDep, KeyDep, render, see_other

router = APIRouter(prefix="/console/keys", route_class=ConsoleRoute, include_in_schema=False)


def _keys_page(request: Request, platform: Platform, key: ApiKey, created: KeyCreated | None = None) -> Response:
    require(key, "admin")
    owner = actions.key_scope_owner(key)
    keys = [key_public(k) for k in platform.store.keys.list(owner)]
    return render(request, "keys.html", keys=keys, created=created, scopes=SCOPES,
                  any_owner=owner is None, own_key_id=key.id)


@router.get("")
def keys_page(request: Request, key: KeyDep, platform: PlatformDep) -> Response:
    return _keys_page(request, platform, key)


@router.post("")
def create_key(request: Request, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    try:
        new, secret = actions.create_key(platform, key, form.get("owner"), form.getall("scopes"), form.get("name"))
    except U22A8Error as exc:
        if exc.status != 422:
            raise
        return see_other(request, "/keys", ("error", exc.detail))
    # Rendered in answer to the POST, never redirected: the secret must not sit in a cookie or a URL.
    created = KeyCreated(**key_public(new).model_dump(), key=secret)
    return _keys_page(request, platform, key, created)


@router.get("/{key_id}/revoke")
def confirm_revoke(request: Request, key_id: str, key: KeyDep, platform: PlatformDep) -> Response:
    """Revoking cannot be undone: say which key, and what it ends, before doing it."""
    target = key_public(actions.key_to_revoke(platform, key, key_id))
    return render(request, "key_revoke.html", target=target, own=target.id == key.id)


@router.post("/{key_id}/revoke")
def revoke_key(request: Request, key_id: str, key: KeyDep, form: FormDep, platform: PlatformDep) -> Response:
    revoked = actions.revoke_key(platform, key, key_id)
    if revoked.id == key.id:  # the console's own session just ended
        response = see_other(request, "/sign-in", ("notice", "You revoked the key you were signed in with."))
        session.clear_key_cookie(response, request)
        return response
    return see_other(request, "/keys", ("notice", f"Revoked key {revoked.prefix}… ({revoked.name or 'unnamed'})."))
