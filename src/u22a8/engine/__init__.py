"""The training engine: arrays in, estimators out. Knows neither HTTP nor the database."""

from .baseline import (
    ArtifactIntegrityError,
    Predictor,
    artifact_checksum,
    check_trainable,
    estimate,
    load_predictor,
    refit,
    search,
    should_promote,
)
from .types import EFFORTS, Dataset, Effort, Progress, SearchCanceled, Task, TooFewSamples, TrainingResult

__all__ = [
    "ArtifactIntegrityError", "Predictor", "artifact_checksum", "check_trainable", "estimate", "load_predictor",
    "refit", "search", "should_promote", "EFFORTS", "Dataset", "Effort", "Progress", "SearchCanceled", "Task",
    "TooFewSamples", "TrainingResult",
]
