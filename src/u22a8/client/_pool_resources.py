"""``client.pool`` for both clients: unlabeled texts beside a model (add in chunks, list, delete).

``client.suggestions(handle)`` (on the clients themselves) says which of them to label next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from . import _operations as operations
from ._base import ResourceGroup
from ._pool_calls import PoolSource, chunks, pool_calls, read_pool_texts
from ._pool_types import PoolCounts, PoolText

if TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import Client

__all__ = ["Pool", "AsyncPool"]


class Pool(ResourceGroup["Client"]):
    """A model's pool of unlabeled texts, the candidates for ``client.suggestions``."""

    def add(self, handle: str, texts: PoolSource, *, chunk_size: int = 1000) -> PoolCounts:
        """Add texts (strings, ``{"text", "id"}`` dicts, or a .csv/.jsonl/.ndjson/.json path),
        ``chunk_size`` per request, each request all or nothing; texts already in the pool or
        already labeled are left out (see ``PoolCounts``)."""
        total: PoolCounts | None = None
        for chunk in chunks(read_pool_texts(texts), chunk_size):
            counts = self._c._call(pool_calls.add(handle, chunk))
            total = counts if total is None else total + counts
        assert total is not None
        return total

    def list(self, handle: str, *, page_size: int = 100) -> Iterator[PoolText]:
        """Every pool text in upload order, following cursors."""
        return self._c._iterate(operations.pages(self._c, lambda cursor: pool_calls.list(handle, cursor, page_size)))

    def delete(self, handle: str, pool_id: str) -> None:
        self._c._call(pool_calls.delete(handle, pool_id))

    def clear(self, handle: str) -> None:
        """Empty the model's pool."""
        self._c._call(pool_calls.clear(handle))


class AsyncPool(ResourceGroup["AsyncClient"]):
    async def add(self, handle: str, texts: PoolSource, *, chunk_size: int = 1000) -> PoolCounts:
        total: PoolCounts | None = None
        for chunk in chunks(read_pool_texts(texts), chunk_size):
            counts = await self._c._call(pool_calls.add(handle, chunk))
            total = counts if total is None else total + counts
        assert total is not None
        return total

    def list(self, handle: str, *, page_size: int = 100) -> AsyncIterator[PoolText]:
        return self._c._iterate(operations.pages(self._c, lambda cursor: pool_calls.list(handle, cursor, page_size)))

    async def delete(self, handle: str, pool_id: str) -> None:
        await self._c._call(pool_calls.delete(handle, pool_id))

    async def clear(self, handle: str) -> None:
        await self._c._call(pool_calls.clear(handle))
