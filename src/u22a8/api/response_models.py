"""Response bodies generated from the resources' declarations (:mod:`u22a8.resources`).

A resource says which of its fields the API shows, under which names, in which order and with
which descriptions; :func:`response_model` turns that into a pydantic model for FastAPI to
validate and document, and :func:`present` fills one from a record. A field added to a resource
with ``shown()`` therefore reaches the schema, the OpenAPI document and every response at once.
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, Field, create_model

from ..resources import PublicField, is_resource, public_fields, public_values

__all__ = ["response_model", "page_model", "present"]

M = TypeVar("M", bound=BaseModel)

# (resource class, summary form) → its generated model, so a nested resource becomes a reference.
_models: dict[tuple[type, bool], type[BaseModel]] = {}


def response_model(name: str, resource: type, *, summary: bool = False) -> type[BaseModel]:
    """The response model called ``name`` for ``resource`` (its summary form if asked).

    Resources it embeds must have their models made first.
    """
    fields: dict[str, Any] = {field.name: _field(field) for field in public_fields(resource, summary=summary)}
    model = create_model(name, __module__=__name__, **fields)
    _models[(resource, summary)] = model
    return model


def page_model(name: str, item: type[BaseModel]) -> type[BaseModel]:
    """The response model called ``name`` for one page of a listing: its items, and the cursor
    of the next page (null on the last)."""
    return create_model(name, __module__=__name__, items=(list[item], ...),  # type: ignore[valid-type]
                        next_cursor=(str | None, ...))


def present(model: type[M], record: object, **given: Any) -> M:
    """``record`` as the response body ``model``, with the values only the caller knows."""
    return model.model_validate(public_values(record, **given))


def _field(field: PublicField) -> tuple[Any, Any]:
    annotation = _public_type(field.annotation, field.as_summary)
    if field.required:
        return annotation, Field(description=field.doc)
    return annotation, Field(default=None, description=field.doc)


def _public_type(annotation: Any, as_summary: bool) -> Any:
    """The type a record's field has in JSON: a nested resource is its model, a set a list."""
    if isinstance(annotation, type) and is_resource(annotation):
        try:
            return _models[(annotation, as_summary)]
        except KeyError:
            raise LookupError(f"make the response model of {annotation.__name__} before those embedding it") from None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_public_type(arg, as_summary) for arg in typing.get_args(annotation))]
    if origin is frozenset:
        (item,) = typing.get_args(annotation)
        return list[item]  # type: ignore[valid-type]
    return annotation
