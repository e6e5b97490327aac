"""A registry of named objects, one instance per registered class: what tasks and families use.

Registration order is kept: it is the order users see (tasks) and the order of the search's
choices (families).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """``register`` (a class decorator) keeps one instance of the class under its ``name``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # for messages: "task", "model family"
        self._items: dict[str, T] = {}

    def register(self, cls: Callable[[], T]) -> Any:
        name = getattr(cls, "name")
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = cls()
        return cls

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise ValueError(f"unknown {self.kind} {name!r}; use one of {', '.join(self._items)}") from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))
