"""Row → record conversion, shared by the repositories.

A record's fields say which table attribute holds them (:func:`u22a8.resources.shown`'s
``column``, else the field's own name), so a conversion names only what the row does not hold
as the record wants it.
"""

from __future__ import annotations

from ..resources import ApiKey, Run, Sample, Version, record_from
from .tables import ApiKeyRow, RunRow, SampleRow, VersionRow

__all__ = ["key_record", "version_record", "run_record", "sample_record"]


def key_record(row: ApiKeyRow) -> ApiKey:
    # Scopes are stored as one comma-separated string.
    return record_from(ApiKey, row, scopes=frozenset(s for s in row.scopes.split(",") if s))


def version_record(row: VersionRow) -> Version:
    return record_from(Version, row)


def run_record(row: RunRow, handle: str) -> Run:
    # The handle lives on the model's row.
    return record_from(Run, row, handle=handle)


def sample_record(row: SampleRow) -> Sample:
    return record_from(Sample, row)
