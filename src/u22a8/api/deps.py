"""The platform object every route depends on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from ..runs import EventDispatcher, PredictorCache, RunExecutor
from ..settings import Settings
from ..store import Store

if TYPE_CHECKING:
    from .auth import KeyCache

__all__ = ["Platform", "PlatformDep"]


@dataclass
class Platform:
    settings: Settings
    store: Store
    executor: RunExecutor | None
    events: EventDispatcher
    predictors: PredictorCache
    key_cache: KeyCache = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.key_cache is None:
            from .auth import KeyCache

            self.key_cache = KeyCache(self.settings.auth_cache_seconds)

    def wake_executor(self) -> None:
        if self.executor is not None:
            self.executor.notify()


async def get_platform(request: Request) -> Platform:
    # async on purpose: a sync dependency costs a thread-pool hop on every request.
    return request.app.state.platform  # type: ignore[no-any-return]


PlatformDep = Annotated[Platform, Depends(get_platform)]
