"""The shapes a version's report page draws: the confusion heatmap, per-class rows, plain metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["HEAT_LEVELS", "HeatCell", "heatmap", "per_class_rows", "scalar_metrics"]

HEAT_LEVELS = 10  # CSS classes heat-0 … heat-9; classes rather than inline styles keep the CSP strict


@dataclass(frozen=True)
class HeatCell:
    count: int | float
    share: float  # of the true label's row: that is what a reader compares along a row
    level: int
    diagonal: bool


def heatmap(confusion: Any) -> tuple[list[str], list[list[HeatCell]]] | None:
    """``{labels, matrix}`` → labels and rows of cells, or None if the shape is not one we know."""
    if not isinstance(confusion, dict):
        return None
    labels, matrix = confusion.get("labels"), confusion.get("matrix")
    if not isinstance(labels, list) or not isinstance(matrix, list) or len(matrix) != len(labels):
        return None
    rows: list[list[HeatCell]] = []
    for i, row in enumerate(matrix):
        if not isinstance(row, list) or len(row) != len(labels):
            return None
        # Counts stay whole numbers when they are (weighted samples can make them fractional).
        counts = [(int(c) if float(c).is_integer() else float(c)) if isinstance(c, (int, float)) else 0 for c in row]
        total = sum(counts)
        cells = []
        for j, count in enumerate(counts):
            share = count / total if total > 0 else 0.0
            level = min(HEAT_LEVELS - 1, int(share * HEAT_LEVELS)) if count > 0 else 0
            cells.append(HeatCell(count=count, share=share, level=level, diagonal=i == j))
        rows.append(cells)
    return [str(label) for label in labels], rows


def per_class_rows(per_class: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(per_class, dict):
        return []
    return [(str(label), stats) for label, stats in per_class.items() if isinstance(stats, dict)]


# Metrics with their own presentation (or bookkeeping) are left out of the plain list.
_SPECIAL = {"confusion", "per_class", "primary_name"}


def scalar_metrics(metrics: dict[str, Any]) -> list[tuple[str, Any, bool]]:
    """The single-number metrics of a version as (name, value, is_primary), primary first.

    ``primary`` usually repeats a named metric (``primary_name``); it is then shown once,
    under its own name, marked as the one the search optimised.
    """
    primary_name = metrics.get("primary_name")
    named = isinstance(primary_name, str) and primary_name in metrics
    out = []
    for k, v in metrics.items():
        if k in _SPECIAL or (k == "primary" and named):
            continue
        if v is None or isinstance(v, (int, float, str, bool)):
            is_primary = k == primary_name if named else k == "primary"
            name = str(primary_name) if k == "primary" and isinstance(primary_name, str) else k
            out.append((name, v, is_primary))
    return sorted(out, key=lambda item: (not item[2], item[0]))
