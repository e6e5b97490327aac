"""The served model: texts in, JSON-ready predictions out.

A predictor is one or more members (features → linear head), each turned into probabilities
(classify, multilabel) or values (score) and mixed with fixed weights. How it is stored (data
only, checksummed) is :mod:`.artifact_format`'s.

Embedders are not part of a member's stored state. The frozen MiniLM is the same for every
version, so it is reattached by name from the process's shared instance; a fine-tuned encoder
(:mod:`.finetune`) belongs to its version, so the predictor stores it (its weights as bytes) once
in ``encoders`` and hands it back to the members that use it when it is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from .embeddings import attach_embedder
from .fallback import fallback_predictions
from .nearness import served_nearness
from .tasks import get_task

__all__ = ["Member", "Predictor"]


@dataclass
class Member:
    features: Any  # a fitted TextFeatures
    head: Any  # a fitted LinearHead / MultiLabelHead / ScoreHead
    weight: float = 1.0
    temperature: float = 1.0  # classify / multilabel only


@dataclass
class Predictor:
    task: str
    labels: list[str] | None
    members: list[Member]
    thresholds: list[float] | None = None  # multilabel, on the mixed probabilities
    info: dict[str, Any] = field(default_factory=dict)
    # classify with a fallback label: the decision rule the search chose (see .fallback); None: off
    fallback: dict[str, Any] | None = None

    def compile(self) -> Any:
        """The serving plan (:mod:`.fast_path`), built once; done when the predictor is loaded."""
        plan = self.__dict__.get("_plan")
        if plan is None:
            from .fast_path import compile_plan

            plan = self.__dict__["_plan"] = compile_plan(self)
        return plan

    def outputs(self, texts: list[str]) -> np.ndarray:
        """Mixed probabilities (classify, multilabel) or values (score), one row per text."""
        return self.compile().outputs(texts)  # type: ignore[no-any-return]

    def reference_outputs(self, texts: list[str]) -> np.ndarray:
        """:meth:`outputs` through scikit-learn and scipy.sparse, member by member: the
        definition the compiled plan must match (tests compare the two)."""
        task = get_task(self.task)
        total: np.ndarray | None = None
        embeddings: dict[str, np.ndarray] = {}  # members sharing an embedder run it once
        for m in self.members:
            X = m.features.transform(texts, embeddings=embeddings)
            out = task.apply_temperature(task.raw_output(m.head, X, len(self.labels or [])), m.temperature)
            total = out * m.weight if total is None else total + out * m.weight
        assert total is not None
        return total

    def predict(self, texts: list[str], top_k: int | None = None) -> list[dict[str, Any]]:
        out, decided = self._served(texts, top_k)
        if decided is not None:
            return decided
        return get_task(self.task).predictions(out, self.labels or [], self.thresholds, top_k)

    def predict_json(self, texts: list[str], top_k: int | None = None) -> bytes:
        """:meth:`predict` as the JSON array an API process sends: it decodes to the same list."""
        out, decided = self._served(texts, top_k)
        if decided is not None:
            return orjson.dumps(decided)
        return get_task(self.task).predictions_json(out, self.labels or [], self.thresholds, top_k)

    def _served(self, texts: list[str], top_k: int | None) -> tuple[Any, list[dict[str, Any]] | None]:
        """The mixed outputs for the task to write, or the predictions already decided (no texts,
        or a fallback rule, which is applied after :meth:`outputs` and leaves it as it is)."""
        texts = [str(t) for t in texts]
        if not texts:
            return None, []
        memo: dict[str, np.ndarray] = {}  # the members' embeddings, which a fallback rule may reuse
        out = self.compile().outputs(texts, memo)
        if self.fallback is not None and self.labels:
            return None, self._with_fallback(out, texts, memo, top_k)
        return out, None

    def _with_fallback(self, out: np.ndarray, texts: list[str], memo: dict[str, np.ndarray],
                       top_k: int | None) -> list[dict[str, Any]]:
        assert self.fallback is not None and self.labels
        near = served_nearness(self.fallback["neighbours"], texts, memo) if "neighbours" in self.fallback else None
        return fallback_predictions(out, self.labels, self.fallback, top_k, near)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_plan", None)  # derived from the members: rebuilt on load, never stored
        encoders = {}
        for m in self.members:
            emb = getattr(m.features, "embedder", None)
            if getattr(emb, "portable", False):  # belongs to this version: must travel with it
                encoders[m.features.embed] = emb
        state["encoders"] = encoders
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        encoders = state.pop("encoders", {})
        self.__dict__.update(state)
        # The frozen embedder is not stored (a large network the package ships): reattach the
        # shared instance. Fine-tuned encoders came with the artifact: give them back.
        for m in self.members:
            name = getattr(m.features, "embed", None)
            if name in encoders:
                m.features.embedder = encoders[name]
            else:
                attach_embedder(m.features)
        self.compile()  # the serving plan, at load time rather than on the first request
