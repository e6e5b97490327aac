"""The fine-tuned MiniLM's own softmax head (effort max, tasks that allow fine-tuning).

Its head comes out of the fine-tuning (see :mod:`u22a8.engine.finetuned_members`), never from
a search or :meth:`make_head`; it is registered so that every member's family is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..finetune import FineTunedEncoder, Recipe, TunedLogits
from ._base import Family, register_family

if TYPE_CHECKING:
    from ..tasks import Task

__all__ = ["FineTuned", "PassThroughHead"]


@register_family
class FineTuned(Family):
    name = "finetuned"
    searched = False

    def serves(self, task: "Task") -> bool:
        return task.fine_tunable

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name}

    def make_head(self, task: "Task", model: dict[str, Any], seed: int = 0) -> Any:
        raise ValueError("a fine-tuned member's head is made by the fine-tuning, not fitted on features")

    def artifact_types(self) -> tuple[type, ...]:
        return (PassThroughHead, TunedLogits, FineTunedEncoder, Recipe)


class PassThroughHead:
    """The head of ``tuned-softmax``: its features (:class:`TunedLogits`) are already margins."""

    def __init__(self, n_labels: int) -> None:
        self.classes_ = np.arange(n_labels)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)
