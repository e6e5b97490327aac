"""Response bodies of the pool and suggestions routes (issue 12), generated from the resources."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..resources import PoolCounts, PoolText, Suggestion
from .response_models import page_model, response_model

__all__ = ["PoolCountsPublic", "PoolTextPublic", "PoolTextList", "SuggestionPublic", "SuggestionListPublic",
           "POOL_BODY_DOC"]

PoolCountsPublic = response_model("PoolCountsPublic", PoolCounts)
PoolTextPublic = response_model("PoolTextPublic", PoolText)
PoolTextList = page_model("PoolTextList", PoolTextPublic)
SuggestionPublic = response_model("SuggestionPublic", Suggestion)


class SuggestionListPublic(BaseModel):
    version: int = Field(description="The version that scored the pool (the active one).")
    pool_count: int = Field(description="Texts in the pool when it was scored.")
    items: list[SuggestionPublic] = Field(description="Most worth labeling first; none already labeled.")  # type: ignore[valid-type]


_POOL_TEXT: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 200}, "text": {"type": "string"}},
    "additionalProperties": False,
}

# The pool POST reads JSON, NDJSON (one text object a line) or CSV (text and an optional id column).
POOL_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["texts"], "additionalProperties": False,
                "properties": {"texts": {"type": "array", "items": {"anyOf": [_POOL_TEXT, {"type": "string"}]}}},
            }},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}
