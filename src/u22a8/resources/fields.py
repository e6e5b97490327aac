"""The words a resource declares its fields with, and the two conversions read from them.

A resource is a frozen dataclass. Its fields are declared once, there, and say three things:
- whether the API shows it: ``shown()`` fields are shown, plain fields (ids, leases) never leave
  the server;
- under which name: ``shown(name=...)`` when the public name differs from the attribute;
- where the store keeps it: ``shown(column=...)`` when the table's attribute is named otherwise.
Values the record works out from its own fields are ``@shown_property``; values only whoever
presents the record knows (whether a version is its model's active one) are ``given()``.

The public order is the order of declaration across all three kinds, base classes first, so a
resource reads top to bottom as the API shows it. ``public_values`` turns a record into that
shape (nested resources included) and ``record_from`` builds a record from a row; the API's
response models are generated from ``public_fields``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, overload

__all__ = [
    "PublicField",
    "shown",
    "shown_property",
    "given",
    "public_fields",
    "public_values",
    "is_resource",
    "record_from",
]

R = TypeVar("R")

# Declarations take a number from one counter as the class body runs: sorting by it recovers the
# order in which fields, properties and given values were written, whatever their kind.
_declared = itertools.count()
_SHOWN = "u22a8.shown"
_COLUMN = "u22a8.column"


@dataclass(frozen=True)
class _Shown:
    order: int
    name: str | None
    doc: str | None
    summary: bool
    as_summary: bool


@dataclass(frozen=True)
class PublicField:
    """One field as the API shows it."""

    name: str
    # The record attribute it is read from; None for a value the presenter gives.
    attribute: str | None
    # The type on the record's side (a nested resource, a frozenset…), resolved.
    annotation: Any
    doc: str | None
    # False: optional in the schema (still shown, as null when empty).
    required: bool
    # A nested resource is shown in its summary form.
    as_summary: bool


def shown(doc: str | None = None, *, name: str | None = None, column: str | None = None,
          summary: bool = False, as_summary: bool = False) -> Any:
    """A record field the API shows.

    ``doc`` becomes the field's description in the API schema; ``name`` is its public name when
    the attribute's differs; ``column`` the table attribute the store keeps it under when that
    differs; ``summary`` puts it in the resource's summary (how another resource embeds it);
    ``as_summary`` embeds a nested resource in its summary form.
    """
    spec = _Shown(next(_declared), name, doc, summary, as_summary)
    metadata: dict[str, Any] = {_SHOWN: spec}
    if column is not None:
        metadata[_COLUMN] = column
    return dataclasses.field(metadata=metadata)


class _ShownProperty(property):
    def __init__(self, fget: Callable[[Any], Any], spec: _Shown, required: bool) -> None:
        super().__init__(fget, doc=fget.__doc__)
        self.spec = spec
        self.required = required


@overload
def shown_property(fget: Callable[[Any], Any], /) -> property: ...
@overload
def shown_property(*, name: str | None = None, required: bool = True) -> Callable[[Callable[[Any], Any]], property]: ...
def shown_property(fget: Callable[[Any], Any] | None = None, /, *, name: str | None = None,
                   required: bool = True) -> property | Callable[[Callable[[Any], Any]], property]:
    """A read-only property the API shows, worked out from the record's fields.

    Its docstring is the schema description; ``required=False`` marks the field optional in the
    schema (the API still shows it, as null when the property gives None).
    """

    def declare(f: Callable[[Any], Any]) -> property:
        return _ShownProperty(f, _Shown(next(_declared), name, f.__doc__, False, False), required)

    return declare(fget) if fget is not None else declare


class _Given:
    def __init__(self, annotation: Any, doc: str | None = None) -> None:
        self.annotation = annotation
        self.spec = _Shown(next(_declared), None, doc, False, False)
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, record: object, owner: type | None = None) -> Any:
        if record is None:
            return self
        raise AttributeError(f"{self.name!r} is not on the record: whoever presents it gives it")


def given(annotation: Any, doc: str | None = None) -> Any:
    """A value the API shows with a resource that the record cannot know by itself: whoever
    presents the record passes it (``public_values(record, name=value)``). Declared without an
    annotation (``active = given(bool)``), so it is no dataclass field."""
    return _Given(annotation, doc)


def is_resource(value: object) -> bool:
    """Whether ``value`` (a record or its class) declares fields the API shows."""
    cls = value if isinstance(value, type) else type(value)
    return dataclasses.is_dataclass(cls) and bool(public_fields(cls))


@functools.cache
def public_fields(cls: type, *, summary: bool = False) -> tuple[PublicField, ...]:
    """The fields the API shows of ``cls``, in declaration order; only the summary's if asked."""
    hints = typing.get_type_hints(cls)
    found: list[tuple[int, PublicField]] = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(_SHOWN)
        if spec is not None and (spec.summary or not summary):
            found.append((spec.order, PublicField(spec.name or f.name, f.name, hints[f.name], spec.doc, True,
                                                  spec.as_summary)))
    seen: set[str] = set()
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if attr in seen:
                continue
            seen.add(attr)
            if isinstance(value, _ShownProperty) and not summary:
                returns = typing.get_type_hints(value.fget)["return"]
                found.append((value.spec.order, PublicField(value.spec.name or attr, attr, returns, value.spec.doc,
                                                            value.required, False)))
            elif isinstance(value, _Given) and not summary:
                found.append((value.spec.order, PublicField(attr, None, value.annotation, value.spec.doc, True, False)))
    return tuple(field for _, field in sorted(found, key=lambda pair: pair[0]))


def public_values(record: object, *, summary: bool = False, **given_values: Any) -> dict[str, Any]:
    """``record`` as the API shows it: public names in order, nested resources shown the same way
    and sets as sorted lists (JSON has no sets). Every ``given()`` field must be passed."""
    out: dict[str, Any] = {}
    for field in public_fields(type(record), summary=summary):
        if field.attribute is None:
            if field.name not in given_values:
                raise TypeError(f"{type(record).__name__} is shown with {field.name!r}: give it")
            out[field.name] = given_values.pop(field.name)
        else:
            out[field.name] = _plain(getattr(record, field.attribute), field.as_summary)
    if given_values:
        raise TypeError(f"{type(record).__name__} shows no field {', '.join(sorted(given_values))}")
    return out


def _plain(value: Any, as_summary: bool) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if is_resource(value):
        return public_values(value, summary=as_summary)
    return value


def record_from(cls: type[R], row: object, **known: Any) -> R:
    """A ``cls`` record from the stored attributes of ``row`` (each field's ``column``, else its
    own name), and ``known`` for the fields the row does not hold as they are."""
    values: Mapping[str, Any] = {
        f.name: known[f.name] if f.name in known else getattr(row, f.metadata.get(_COLUMN, f.name))
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    }
    return cls(**values)
