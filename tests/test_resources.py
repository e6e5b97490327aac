"""Resources declare their fields once: what the API shows and the store keeps is read from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from u22a8.resources import (
    ApiKey,
    Run,
    Sample,
    Version,
    given,
    public_fields,
    public_values,
    record_from,
    shown,
    shown_property,
)
from u22a8.store.tables import ApiKeyRow, RunRow, SampleRow, VersionRow

T = datetime(2026, 1, 2, tzinfo=timezone.utc)


@dataclass(frozen=True)
class _Part:
    code: str = shown(summary=True)
    note: str = shown()


@dataclass(frozen=True)
class _Box:
    secret: str
    label: str = shown(name="title", column="label_text")
    rank = given(int)

    @shown_property
    def loud(self) -> str:
        """The label, shouted."""
        return self.label.upper()

    tags: frozenset[str] = shown("Sorted when shown.")
    part: _Part | None = shown(as_summary=True)


def test_public_fields_follow_declaration_order_across_fields_properties_and_given_values() -> None:
    assert [(f.name, f.attribute) for f in public_fields(_Box)] == [
        ("title", "label"), ("rank", None), ("loud", "loud"), ("tags", "tags"), ("part", "part")]
    assert [f.doc for f in public_fields(_Box)] == [None, None, "The label, shouted.", "Sorted when shown.", None]
    assert [f.name for f in public_fields(_Part, summary=True)] == ["code"]


def test_public_values_rename_hide_sort_sets_and_embed_summaries() -> None:
    box = _Box(secret="s", label="hi", tags=frozenset({"b", "a"}), part=_Part(code="c", note="n"))
    assert public_values(box, rank=2) == {"title": "hi", "rank": 2, "loud": "HI", "tags": ["a", "b"],
                                          "part": {"code": "c"}}
    assert list(public_values(box, rank=2)) == ["title", "rank", "loud", "tags", "part"]


def test_given_values_must_be_given_and_only_those() -> None:
    box = _Box(secret="s", label="hi", tags=frozenset(), part=None)
    with pytest.raises(TypeError, match="rank"):
        public_values(box)
    with pytest.raises(TypeError, match="colour"):
        public_values(box, rank=1, colour="red")
    with pytest.raises(AttributeError, match="rank"):
        _ = box.rank  # type: ignore[attr-defined]


def test_record_from_reads_each_field_from_its_column() -> None:
    class Row:
        secret = "s"
        label_text = "from the column"
        tags = frozenset({"x"})
        part = None

    assert record_from(_Box, Row(), secret="given") == _Box(secret="given", label="from the column",
                                                            tags=frozenset({"x"}), part=None)


@pytest.mark.parametrize(("record", "row", "known"), [
    (ApiKey, ApiKeyRow, {"scopes": frozenset()}),
    (Version, VersionRow, {}),
    (Run, RunRow, {"handle": "acme.tone"}),
    (Sample, SampleRow, {}),
])
def test_every_stored_field_of_a_record_is_a_column_of_its_table(record: type, row: type, known: dict[str, object]) -> None:
    record_from(record, row(), **known)  # AttributeError names a field the table does not hold


def _run(state: str) -> Run:
    return Run(id="run_1", model_id=1, handle="acme.tone", kind="search", state=state, effort=None, created_at=T,
               started_at=T, finished_at=T + timedelta(seconds=2) if state == "succeeded" else None,
               trials_planned=4, trials_done=1, best_score=None, eta_seconds=3.0, phase="fine-tuning",
               cpu_seconds=None, error=None, decision=None, version_number=None, attempts=1,
               cancel_requested=False, lease_owner=None, lease_expires_at=None)


def test_a_run_speaks_of_its_eta_and_phase_only_while_active() -> None:
    assert (_run("running").eta_seconds, _run("running").phase) == (3.0, "fine-tuning")
    assert (_run("succeeded").eta_seconds, _run("succeeded").phase) == (None, None)
    assert _run("succeeded").elapsed_seconds == 2.0
