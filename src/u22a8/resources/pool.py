"""The pool: unlabeled texts beside a model, and the suggestions picked from it (issue 12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .fields import given, shown

__all__ = ["PoolText", "PoolCounts", "Suggestion"]


@dataclass(frozen=True)
class PoolText:
    """An unlabeled text: a candidate for labeling, never trained on."""

    id: str = shown("The caller's id for the text, or p_ and its hash's first 20 hex digits.", column="pool_id")
    text: str = shown()
    created_at: datetime = shown()


@dataclass(frozen=True)
class PoolCounts:
    """What a pool upload changed."""

    added: int = shown("Texts new to the pool.")
    updated: int = shown("Ids already in the pool whose text the upload changed.")
    unchanged: int = shown("Texts the pool already held (or repeated within the upload).")
    labeled: int = shown("Texts that are samples of the model already: not added.")
    pool_count = given(int, "Texts in the pool after the upload.")


@dataclass(frozen=True)
class Suggestion:
    """A pool text worth labeling next, with the model's current guess."""

    id: str = shown("The pool text's id.")
    text: str = shown()
    rank: int = shown("1 for the most worth labeling.")
    uncertainty: float = shown("How unsure the version is about the text, 0 to 1 (classify: 1 - the margin "
                               "between the two likeliest labels).")
    guess: dict[str, Any] = shown("The version's prediction for the text, as predict answers it (top 3).")
