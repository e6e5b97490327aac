"""The service's access rules, met alike by every front door."""

from __future__ import annotations

import pytest

from u22a8.errors import Forbidden, InvalidRequest, NotFound
from u22a8.service import (
    AutoRetrain,
    InvalidField,
    Platform,
    create_key,
    create_model,
    get_model,
    list_models,
    update_model,
)

from .conftest import make_key


def test_other_owners_models_are_404_and_platform_models_readable(platform: Platform) -> None:
    acme, _ = make_key(platform)
    globex, _ = make_key(platform, owner="globex", scopes=["read"])
    create_model(platform, acme, "acme.tone", "classify")
    platform.store.models.create("u22a8.shared", "classify", quiet_seconds=1)
    with pytest.raises(NotFound):
        get_model(platform, globex, "acme.tone")
    with pytest.raises(NotFound):
        get_model(platform, globex, "../etc")
    assert get_model(platform, globex, "u22a8.shared").handle == "u22a8.shared"
    with pytest.raises(NotFound):
        get_model(platform, globex, "u22a8.shared", "write")
    with pytest.raises(Forbidden):
        create_model(platform, globex, "globex.x", "classify")
    assert [m.handle for m in list_models(platform, globex, after=None, limit=10).items] == ["u22a8.shared"]


def test_field_rules_name_the_refused_field(platform: Platform) -> None:
    acme, _ = make_key(platform)
    cases = [
        (lambda: create_model(platform, acme, "Bad Handle", "classify"), "handle"),
        (lambda: create_model(platform, acme, "acme.x", "regress"), "task"),
        (lambda: create_model(platform, acme, "acme.x", "classify", labels=["a", "a"]), "labels"),
        (lambda: create_key(platform, acme, None, [], ""), "scopes"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidField) as refused:
            call()
        assert refused.value.field == field and refused.value.status == 422
    create_model(platform, acme, "acme.x", "score")
    with pytest.raises(InvalidField, match="greater than or equal to 0"):
        update_model(platform, acme, "acme.x", auto_retrain=AutoRetrain(quiet_seconds=-1))
    with pytest.raises(InvalidRequest, match="a score model takes no labels"):
        update_model(platform, acme, "acme.x", labels=["a"])
