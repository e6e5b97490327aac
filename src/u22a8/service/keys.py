"""API keys: create (the secret is shown once), list, revoke. Admin scope.

An admin key manages its own owner's keys; an admin key of the platform owner ``u22a8``
manages every owner's keys.
"""

from __future__ import annotations

import re

from ..errors import NotFound
from ..store import SCOPES, ApiKey
from .access import enter, key_scope_owner, require
from .fields import InvalidField, check_max_length
from .limits import check_key_limits
from .platform import Platform

__all__ = ["OWNER_RE", "KEY_NAME_MAX", "create_key", "list_keys", "key_to_revoke", "revoke_key"]

OWNER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}$")
KEY_NAME_MAX = 200


def _check_new_key(owner: str | None, scopes: list[str], name: str) -> None:
    if owner is not None and not OWNER_RE.fullmatch(owner):
        raise InvalidField("owner", f"owner: String should match pattern '{OWNER_RE.pattern}'")
    if not scopes:
        raise InvalidField("scopes", "scopes: List should have at least 1 item after validation, not 0")
    for i, scope in enumerate(scopes):
        if scope not in SCOPES:
            choices = ", ".join(repr(s) for s in SCOPES[:-1]) + f" or {SCOPES[-1]!r}"
            raise InvalidField("scopes", f"scopes.{i}: Input should be {choices}")
    check_max_length("name", name, KEY_NAME_MAX)


def create_key(platform: Platform, key: ApiKey, owner: str | None, scopes: list[str], name: str = "", *,
               rate_limits: str | None = None) -> tuple[ApiKey, str]:
    """A new key for ``owner`` (None: the acting key's owner) and its secret, which is not stored.

    ``rate_limits`` gives the key its own request limits (``"predict=100/minute;train=none"``).
    """
    enter(platform, key, "admin")
    _check_new_key(owner, scopes, name)
    new_owner = owner or key.owner
    if key_scope_owner(key) not in (None, new_owner):
        raise NotFound(f"no owner {new_owner!r} for this key")
    if rate_limits is not None:
        check_max_length("rate_limits", rate_limits, 200)
        check_key_limits(rate_limits)
    return platform.store.keys.create(new_owner, list(scopes), name, rate_limits=rate_limits or None)


def list_keys(platform: Platform, key: ApiKey) -> list[ApiKey]:
    require(key, "admin")
    return platform.store.keys.list(key_scope_owner(key))


def key_to_revoke(platform: Platform, key: ApiKey, key_id: str) -> ApiKey:
    """A key this admin may revoke, to show before revoking; other owners' keys are 404."""
    require(key, "admin")
    for found in platform.store.keys.list(key_scope_owner(key)):
        if found.id == key_id:
            return found
    raise NotFound(f"no key {key_id[:80]!r}")


def revoke_key(platform: Platform, key: ApiKey, key_id: str) -> ApiKey:
    enter(platform, key, "admin")
    revoked = platform.store.keys.revoke(key_id, key_scope_owner(key))
    platform.authenticator.forget(revoked.id)  # the cache must not keep answering for it
    platform.store.idempotency.forget_key(revoked.id)  # nor may its kept answers be replayed
    return revoked
