"""The platform object every route depends on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ..runs import PredictorCache, RunExecutor
from ..settings import Settings
from ..store import Store

__all__ = ["Platform", "PlatformDep"]


@dataclass
class Platform:
    settings: Settings
    store: Store
    executor: RunExecutor | None
    predictors: PredictorCache

    def wake_executor(self) -> None:
        if self.executor is not None:
            self.executor.notify()


def get_platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]


PlatformDep = Annotated[Platform, Depends(get_platform)]
