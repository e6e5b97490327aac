"""One authenticator for the API's Bearer header and the console's cookie: cached, and forgetful on revoke."""

from __future__ import annotations

from u22a8.service import Platform, revoke_key

from .conftest import make_key


def test_a_secret_is_read_from_the_database_once_then_from_the_cache(platform: Platform) -> None:
    key, secret = make_key(platform)
    auth = platform.authenticator
    assert auth.cached(secret) is None  # nothing cached before the first check
    assert auth.authenticate(secret) == key
    assert auth.cached(secret) == key
    assert auth.authenticate("u22a8_unknown") is None and auth.authenticate("") is None


def test_revoking_through_the_service_ends_the_key_at_once(platform: Platform) -> None:
    admin, admin_secret = make_key(platform)
    other, secret = make_key(platform, scopes=["read"])
    assert platform.authenticator.authenticate(secret) == other
    revoke_key(platform, admin, other.id)
    assert platform.authenticator.cached(secret) is None
    assert platform.authenticator.authenticate(secret) is None
    assert platform.authenticator.authenticate(admin_secret) == admin


def test_a_fresh_check_sees_a_revocation_the_cache_has_not_heard_of(platform: Platform) -> None:
    key, secret = make_key(platform)
    assert platform.authenticator.authenticate(secret) == key
    platform.store.keys.revoke(key.id, None)  # as another process would: this cache is not told
    assert platform.authenticator.authenticate(secret) == key  # the Bearer path may answer from the cache
    assert platform.authenticator.authenticate(secret, fresh=True) is None  # the console's session may not
