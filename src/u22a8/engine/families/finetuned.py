"""The fine-tuned MiniLM's own softmax head (effort max, tasks that allow fine-tuning).

Its head comes out of the fine-tuning (see :mod:`u22a8.engine.finetuned_members`), never from
a search or :meth:`make_head`; it is registered so that every member's family is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import Family, register_family

if TYPE_CHECKING:
    from ..tasks import Task

__all__ = ["FineTuned"]


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
