"""Who may do what: scopes, owners, and the platform's shared models.

A key reads and writes its own owner's models; every key may read and predict with models of
the platform owner ``u22a8``. Any other model answers 404, so a key never learns whether another
owner's model exists.

A model's training samples are its owner's alone: a platform model is public to read and to
predict with, but its samples (listings, and the sample texts a version report quotes) are
shown only to keys of the platform owner. Everyone knows a platform model exists, so another
key asking for its samples gets 403, not 404.
"""

from __future__ import annotations

import re

from ..errors import Forbidden, NotFound, U22A8Error
from ..store import ApiKey
from .platform import Platform

__all__ = [
    "PLATFORM_OWNER",
    "HANDLE_RE",
    "require",
    "has_scope",
    "VERSION_NUMBER_MAX",
    "checked_handle",
    "checked_version_number",
    "check_model_access",
    "check_sample_access",
    "may_read_samples",
    "may",
    "readable_owners",
    "key_scope_owner",
    "SCOPE_LIMITS",
    "enter",
]

PLATFORM_OWNER = "u22a8"
# Always used with fullmatch: ``$`` alone also matches before a trailing newline.
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}\.[a-z0-9][a-z0-9_-]{0,63}$")
# Version numbers are 32-bit integers in every backend; a number past that names no version.
VERSION_NUMBER_MAX = 2**31 - 1


# Which request limit an action needing a scope counts against; reads are not counted, and
# predict (a read) names its own class.
SCOPE_LIMITS = {"write": "writes", "admin": "writes", "train": "train"}


def enter(platform: Platform, key: ApiKey, scope: str, handle: str | None = None, *,
          limit_class: str | None = None) -> None:
    """The door of every action that writes, trains or predicts, for both front doors.

    Counts the request against the key's limit for its class first (so a key cannot probe
    faster than its limit by asking for what it may not touch), then checks the scope, and the
    model's owner when the action is on a model.
    """
    platform.limits.admit(key, limit_class or SCOPE_LIMITS.get(scope))
    if handle is None:
        require(key, scope)
    else:
        check_model_access(key, checked_handle(handle), scope)


def require(key: ApiKey, scope: str) -> None:
    """Raise Forbidden unless the key holds ``scope`` (``admin`` holds every scope)."""
    if scope not in key.scopes and "admin" not in key.scopes:
        raise Forbidden(f"this key lacks the {scope!r} scope")


def has_scope(key: ApiKey, scope: str) -> bool:
    try:
        require(key, scope)
    except U22A8Error:
        return False
    return True


def checked_handle(handle: str) -> str:
    """A handle from a path: bad characters (or ``../``) are a 404 like any unknown model."""
    if not HANDLE_RE.fullmatch(handle):
        raise NotFound(f"no model {handle[:120]!r} (handles are owner.name in [a-z0-9_-])")
    return handle


def checked_version_number(handle: str, number: int) -> int:
    """A version number from a path or a body: one no backend can hold is a 404 like any unknown version."""
    if not 1 <= number <= VERSION_NUMBER_MAX:
        raise NotFound(f"{handle} has no version {str(number)[:40]}")
    return number


def check_model_access(key: ApiKey, handle: str, scope: str) -> None:
    """Raise NotFound unless ``key`` may act on ``handle`` with ``scope`` (Forbidden if only the scope is missing)."""
    owner = handle.split(".", 1)[0]
    public_read = owner == PLATFORM_OWNER and scope == "read"
    if owner != key.owner and not public_read:
        raise NotFound(f"no model {handle!r}")
    require(key, scope)


def check_sample_access(key: ApiKey, handle: str) -> None:
    """Raise unless ``key`` may read the model's training samples: NotFound for a model it cannot
    see at all, Forbidden for a platform model it may only read and predict with."""
    check_model_access(key, handle, "read")
    if handle.split(".", 1)[0] != key.owner:
        raise Forbidden(f"the training samples of {handle!r} are shown only to its owner")


def may_read_samples(key: ApiKey, handle: str) -> bool:
    """Whether to show the model's samples (and the sample texts in its reports) to ``key``."""
    try:
        check_sample_access(key, handle)
    except U22A8Error:
        return False
    return True


def may(key: ApiKey, handle: str, scope: str) -> bool:
    """Whether to offer an action at all; the action still checks when it is asked for."""
    try:
        check_model_access(key, handle, scope)
    except U22A8Error:
        return False
    return True


def readable_owners(key: ApiKey) -> list[str]:
    """The owners whose models a key lists: its own and the platform's."""
    return sorted({key.owner, PLATFORM_OWNER})


def key_scope_owner(key: ApiKey) -> str | None:
    """Whose keys an admin key manages: its own owner's, or everyone's (None) for the platform owner."""
    return None if key.owner == PLATFORM_OWNER else key.owner
