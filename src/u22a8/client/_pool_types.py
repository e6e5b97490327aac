"""The SDK's pool types: an unlabeled text, what a pool upload changed, a suggestion and the list of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._types import Json

__all__ = ["PoolText", "PoolCounts", "Suggestion", "Suggestions"]


@dataclass(frozen=True)
class PoolText:
    """An unlabeled text beside a model: a candidate for labeling, never trained on."""

    id: str
    text: str
    created_at: datetime
    raw: Json = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: Json) -> PoolText:
        return cls(id=d["id"], text=d["text"], created_at=datetime.fromisoformat(d["created_at"]), raw=d)


@dataclass(frozen=True)
class PoolCounts:
    """What a pool upload changed; ``labeled``: texts already samples, left out. ``pool_count``: the total after."""

    added: int
    updated: int
    unchanged: int
    labeled: int
    pool_count: int

    @classmethod
    def from_json(cls, d: Json) -> PoolCounts:
        return cls(added=d["added"], updated=d["updated"], unchanged=d["unchanged"], labeled=d["labeled"],
                   pool_count=d["pool_count"])

    def __add__(self, other: PoolCounts) -> PoolCounts:
        # The later answer knows the newer total.
        return PoolCounts(self.added + other.added, self.updated + other.updated, self.unchanged + other.unchanged,
                          self.labeled + other.labeled, other.pool_count)


@dataclass(frozen=True)
class Suggestion:
    """A pool text worth labeling next. ``guess`` is the model's prediction, as predict answers it."""

    id: str
    text: str
    rank: int
    uncertainty: float
    guess: Mapping[str, Any]

    @classmethod
    def from_json(cls, d: Json) -> Suggestion:
        return cls(id=d["id"], text=d["text"], rank=d["rank"], uncertainty=d["uncertainty"], guess=d["guess"])


@dataclass(frozen=True)
class Suggestions:
    """What to label next, most worth it first, from the ``version`` that scored the pool."""

    version: int
    pool_count: int
    items: tuple[Suggestion, ...]

    @classmethod
    def from_json(cls, d: Json) -> Suggestions:
        return cls(version=d["version"], pool_count=d["pool_count"],
                   items=tuple(Suggestion.from_json(s) for s in d["items"]))

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
