"""The served model: texts in, JSON-ready predictions out; plus its checksummed serialization.

A predictor is one or more members (features → linear head), each turned into probabilities
(classify, multilabel) or values (score) and mixed with fixed weights. Artifacts are pickles:
only bytes this platform produced and checksummed are ever loaded, and the checksum is
verified before anything is unpickled.

Embedders are not part of a member's pickled state. The frozen MiniLM is the same for every
version, so it is reattached by name from the process's shared instance; a fine-tuned encoder
(:mod:`.finetune`) belongs to its version, so the predictor stores it (its weights as bytes) once
in ``encoders`` and hands it back to the members that use it when it is loaded.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import sigmoid, softmax

__all__ = ["Member", "Predictor", "ArtifactIntegrityError", "artifact_checksum", "dump_predictor", "load_predictor"]


class ArtifactIntegrityError(ValueError):
    """The artifact's bytes do not match the checksum recorded when it was stored."""


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

    def outputs(self, texts: list[str]) -> np.ndarray:
        """Mixed probabilities (classify, multilabel) or values (score), one row per text."""
        total: np.ndarray | None = None
        embeddings: dict[str, np.ndarray] = {}  # members sharing an embedder run it once
        for m in self.members:
            X = m.features.transform(texts, embeddings=embeddings)
            if self.task == "classify":
                out = softmax(m.head.decision_function(X), m.temperature)
            elif self.task == "multilabel":
                out = sigmoid(m.head.decision_function(X), m.temperature)
            else:
                out = m.head.predict(X)
            total = out * m.weight if total is None else total + out * m.weight
        assert total is not None
        return total

    def predict(self, texts: list[str], top_k: int | None = None) -> list[dict[str, Any]]:
        texts = [str(t) for t in texts]
        if not texts:
            return []
        out = self.outputs(texts)
        if self.task == "score":
            return [{"score": float(v)} for v in out]
        labels = self.labels or []
        if self.task == "multilabel":
            cut = np.asarray(self.thresholds if self.thresholds is not None else [0.5] * len(labels))
            results = []
            for row in out:
                order = np.argsort(-row)
                results.append({
                    "labels": [labels[j] for j in order if row[j] >= cut[j]],
                    "scores": {labels[j]: float(row[j]) for j in order[: top_k or len(labels)]},
                })
            return results
        out = out / out.sum(axis=1, keepdims=True)  # exact sum to 1 after mixing and rounding
        k = len(labels) if not top_k or top_k <= 0 else min(top_k, len(labels))
        results = []
        for row in out:
            order = np.argsort(-row, kind="stable")[:k]
            best = int(order[0])
            results.append({"label": labels[best], "confidence": float(row[best]),
                            "scores": {labels[j]: float(row[j]) for j in order}})
        return results

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
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
        # The frozen embedder is not pickled (a ~90 MB network the package ships): reattach the
        # shared instance. Fine-tuned encoders came with the artifact: give them back.
        from .embeddings import attach_embedder

        for m in self.members:
            name = getattr(m.features, "embed", None)
            if name in encoders:
                m.features.embedder = encoders[name]
            else:
                attach_embedder(m.features)


def artifact_checksum(artifact: bytes) -> str:
    return hashlib.sha256(artifact).hexdigest()


def dump_predictor(predictor: Predictor) -> bytes:
    return pickle.dumps(predictor, protocol=pickle.HIGHEST_PROTOCOL)


def load_predictor(artifact: bytes, sha256: str) -> Predictor:
    """Verify ``sha256`` over ``artifact`` first; only then unpickle it."""
    actual = artifact_checksum(artifact)
    if actual != str(sha256).lower():
        raise ArtifactIntegrityError(f"artifact checksum mismatch: expected {sha256}, got {actual}")
    predictor = pickle.loads(artifact)  # noqa: S301 - platform-made bytes whose checksum was verified
    if not isinstance(predictor, Predictor):
        raise ArtifactIntegrityError(f"artifact holds a {type(predictor).__name__}, not a Predictor")
    return predictor
