"""The sync client's resource groups: ``client.models``, ``.samples``, ``.runs``, ``.versions``, ``.keys``.

Each method names its operation and has ``Client`` drive it; what the operation does is written
once, in ``_calls`` and ``_operations``, for the async groups too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _operations as operations
from ._base import ResourceGroup
from ._calls import UNSET, calls
from ._run import Model, Run
from ._sample_files import SampleSource
from ._types import CreatedKey, Key, Report, RunEvent, Sample, SampleCounts, Version

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["Models", "Samples", "Runs", "Versions", "Keys"]


class Models(ResourceGroup["Client"]):
    def create(self, handle: str, task: str, labels: Sequence[str] | None = None, description: str = "", *,
               auto_retrain: bool | Mapping[str, Any] | None = None, fallback_label: str | None = None,
               fallback_min_precision: float | None = None) -> Model[Run]:
        """Create ``owner.name`` with task classify, multilabel or score. ``labels`` closes the label set."""
        return self._c._call(calls.create_model(handle, task, labels, description, auto_retrain, fallback_label,
                                                 fallback_min_precision))

    def get(self, handle: str) -> Model[Run]:
        return self._c._call(calls.get_model(handle))

    def list(self, *, page_size: int = 50) -> Iterator[Model[Run]]:
        """Every model this key can see (its owner's and the platform's), following cursors."""
        return self._c._iterate(operations.pages(self._c, lambda cursor: calls.list_models(cursor, page_size)))

    def update(self, handle: str, *, description: str | None = UNSET, labels: Sequence[str] | None = UNSET,
               auto_retrain: bool | Mapping[str, Any] = UNSET, fallback_label: str | None = UNSET,
               fallback_min_precision: float | None = UNSET) -> Model[Run]:
        """Change only what is given; ``labels=None`` opens a closed label set."""
        return self._c._call(calls.update_model(handle, description, labels, auto_retrain, fallback_label,
                                                 fallback_min_precision))

    def delete(self, handle: str) -> None:
        self._c._call(calls.delete_model(handle))


class Samples(ResourceGroup["Client"]):
    def add(self, handle: str, samples: SampleSource, *, format: str | None = None, chunk_size: int = 1000,
            on_progress: Callable[[int, int], Any] | None = None) -> SampleCounts:
        """Upload samples: a list of dicts, or a path to a CSV, JSON Lines/NDJSON or JSON file.

        Sent ``chunk_size`` samples per request; ``on_progress(sent, total)`` after each. Each
        request is all-or-nothing; if one is refused, earlier chunks stay stored and the error's
        indexes count from the start of the whole upload.
        """
        return self._c._drive(operations.upload_samples(self._c, handle, samples, format, chunk_size, on_progress))

    def list(self, handle: str, label: str | None = None, *, page_size: int = 100) -> Iterator[Sample]:
        return self._c._iterate(operations.pages(self._c, lambda cursor: calls.list_samples(handle, label, cursor,
                                                                                             page_size)))

    def delete(self, handle: str, sample_id: str) -> None:
        self._c._call(calls.delete_sample(handle, sample_id))


class Runs(ResourceGroup["Client"]):
    def get(self, handle: str, run_id: str) -> Run:
        run: Run = self._c._call(calls.get_run(handle, run_id))
        return run

    def list(self, handle: str, *, page_size: int = 50) -> Iterator[Run]:
        """The model's runs, newest first."""
        return self._c._iterate(operations.pages(self._c, lambda cursor: calls.list_runs(handle, cursor, page_size)))

    def cancel(self, handle: str, run_id: str) -> Run:
        """A queued run ends at once; a running one stops at its next trial boundary."""
        run: Run = self._c._call(calls.cancel_run(handle, run_id))
        return run

    def events(self, handle: str, run_id: str) -> Iterator[RunEvent]:
        """The run's events as they happen, ending after the final one. A dropped connection is
        resumed where it stopped (``Last-Event-ID``)."""
        return self._c._iterate(operations.run_events(self._c, handle, run_id))


class Versions(ResourceGroup["Client"]):
    def list(self, handle: str) -> list[Version]:
        return self._c._call(calls.list_versions(handle))

    def activate(self, handle: str, number: int) -> Version:
        """Serve version ``number`` from now on (roll back or forward)."""
        return self._c._call(calls.activate_version(handle, number))

    def report(self, handle: str, number: int) -> Report:
        return self._c._call(calls.version_report(handle, number))

    def export(self, handle: str, number: int, path: str | Path) -> Path:
        """Download version ``number`` to ``path`` (a file, or a directory to put it in).
        Load it offline with ``u22a8.load_export``. Returns the file written."""
        return self._c._drive(operations.download_export(self._c, handle, number, path))


class Keys(ResourceGroup["Client"]):
    """API keys of this key's owner (admin scope); a ``u22a8`` admin key manages every owner's."""

    def create(self, scopes: Sequence[str] = ("read", "write", "train"), *, owner: str | None = None,
               name: str = "", rate_limits: str | None = None) -> CreatedKey:
        """A new key; its secret is ``.key`` and is never shown again. ``rate_limits`` gives it
        its own request limits (``"predict=100/minute;writes=none"``)."""
        return self._c._call(calls.create_key(scopes, owner, name, rate_limits))

    def list(self) -> list[Key]:
        return self._c._call(calls.list_keys())

    def revoke(self, key_id: str) -> Key:
        return self._c._call(calls.revoke_key(key_id))
