"""Row → record conversion, shared by the repositories.

Records name their fields after the columns, so a conversion copies the same-named attributes
and spells out only what differs: a field added to both a table and its record needs no line here.
"""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from .records import ApiKey, Run, Sample, Version
from .tables import ApiKeyRow, RunRow, SampleRow, VersionRow

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


@functools.cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _copy(cls: type[R], row: object, **differing: Any) -> R:
    """A ``cls`` record from ``row``'s same-named attributes, and ``differing`` for the others."""
    values = {name: getattr(row, name) for name in _field_names(cls) if name not in differing}
    return cls(**values, **differing)


def key_record(row: ApiKeyRow) -> ApiKey:
    return _copy(ApiKey, row, scopes=frozenset(s for s in row.scopes.split(",") if s))


def version_record(row: VersionRow) -> Version:
    return _copy(Version, row)


def run_record(row: RunRow, handle: str) -> Run:
    return _copy(Run, row, handle=handle)


def sample_record(row: SampleRow) -> Sample:
    # ``metadata`` is a reserved name on ORM classes: the column is mapped as ``meta``.
    return _copy(Sample, row, id=row.sample_id, metadata=row.meta)
