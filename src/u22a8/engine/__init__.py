"""The training engine: labeled texts in, a tuned, calibrated, checksummed predictor out.

It knows neither HTTP nor the database. ``u22a8.runs`` builds a :class:`Dataset`, calls
:func:`search` (first training, re-optimisation) or :func:`refit` (retraining on new samples
with the same configuration), decides with :func:`should_promote`, and serves the artifact
through :func:`load_predictor` (data only: see :mod:`.artifact_format`).

Tasks (:mod:`.tasks`: classify, multilabel, score) and model families (:mod:`.families`) are
registered objects: ``get_task(name)`` owns a task's targets, minimum data (:func:`check_trainable`
raises :class:`TooFewSamples` below it), folds, metrics, calibration and prediction shape;
``get_family(name)`` owns a head, its search space and its default.

Modules, one job each::

    types              value objects crossing the boundary
    registry           named objects, one instance per registered class
    tasks/             one module per task (targets, minimums, metrics, calibration, output)
    families/          one module per model family (search space, head, cost, default)
    rules              minimum data (the task's), promotion rule
    features           TF-IDF word/char (+ embedding) matrix
    cues               tone cues (politeness strategies)
    embeddings         MiniLM loader, embedder registry
    static_embeddings  distilled static MiniLM (low)
    minilm_onnx        MiniLM exported to ONNX Runtime (the fast path)
    cache              on-disk per-text vectors
    counts_cache       n-gram counts between runs
    evaluation         protocol folds
    calibration        temperature, thresholds
    training           a dataset prepared for fitting
    assemble           calibrate, score, pack
    fallback           out-of-scope answer: rule and threshold on held-out outputs
    label_issues       likely label errors: out-of-fold probabilities, confident learning
    space              defaults and search space
    budget             effort → trials, seconds
    trials             the time rule, one trial scored fold by fold
    search             seeded Optuna search with pruning
    shared             trials shared over workers
    ensemble           soft-voting selection
    finetune_phase     a search's fine-tuning phase (effort max)
    finetune           MiniLM fine-tuned on CPU, as bytes
    minilm_network     the packaged MiniLM network, weights as bytes
    finetuned_members  members on a fine-tuned MiniLM
    refit              same params, new data
    estimate           cost model per effort
    sizing             the rows a search affords on large data, drawn in a stable order
    predictor          serving object
    fast_path          the predictor compiled into arrays for serving (same outputs, no sklearn per call)
    neighbours         kNN's k nearest rows: one rule; one text through a pruned index
    artifact_format    its stored form: data only (skops, trusted types), checksummed
    legacy_pickle      pickled artifacts of old versions, from the platform's own store only
    data_report        duplicates, conflicts, balance
    bundle             export files (zip + manifest)

Efforts (see :mod:`.budget`): ``low`` TF-IDF word 1-2 + char_wb 2-5 into linear models, with kNN
on static embeddings distilled from MiniLM (when prepared) as an ensemble partner, scored on the
protocol holdout; ``medium`` adds MiniLM sentence embeddings (concatenated, and as a kNN member)
and tone cues, 2 folds with pruning, a 2-member soft-voting ensemble; ``high`` 3 folds, up to 4
members; ``max`` the search of ``high`` plus, for tasks that allow it when it fits in the time,
MiniLM fine-tuned on the samples (its own softmax, and its embedding next to TF-IDF), blended in
on held-out rows. Each effort has a wall-clock ceiling. Trial 0 is always the known-good default,
kept unless a trial beats it by one standard error (ensembles grow from it).
"""

from .counts_cache import forget_counts, wait_for_counts_saves
from .embeddings import set_inference_threads
from .estimate import MIN_ROWS, estimate
from .label_issues import HELD_OUT_ONLY, MAX_ISSUES
from .families import Family, family_names, get_family, register_family, unregister_family
from .tasks import Task, TargetShape, get_task, register_task, task_names, unregister_task
from .artifact_format import (ARTIFACT_FORMAT, ArtifactFormatError, ArtifactIntegrityError, LegacyArtifactError,
                              UntrustedArtifactError, artifact_checksum, dump_predictor, is_legacy_artifact,
                              load_predictor, trusted_types)
from .predictor import Predictor
from .refit import refit, refit_rows
from .rules import check_trainable, missing_for_counts, should_promote
from .search import search
from .sizing import PER_LABEL_MIN, search_rows
from .minilm_onnx import onnx_exportable, onnx_missing, prepare_onnx
from .static_embeddings import prepare_static, set_models_dir, static_missing
from .shared import join_search
from .types import (
    EFFORTS,
    Dataset,
    Effort,
    Progress,
    ProgressCallback,
    SearchCanceled,
    SharedStudy,
    StopCheck,
    Target,
    TaskName,
    TooFewSamples,
    TrainingResult,
)

__all__ = [
    "ARTIFACT_FORMAT",
    "ArtifactFormatError",
    "ArtifactIntegrityError",
    "LegacyArtifactError",
    "UntrustedArtifactError",
    "dump_predictor",
    "is_legacy_artifact",
    "trusted_types",
    "Dataset",
    "EFFORTS",
    "Effort",
    "Predictor",
    "Progress",
    "ProgressCallback",
    "SearchCanceled",
    "SharedStudy",
    "join_search",
    "StopCheck",
    "Target",
    "Task",
    "TaskName",
    "TargetShape",
    "get_task",
    "register_task",
    "unregister_task",
    "task_names",
    "Family",
    "get_family",
    "register_family",
    "unregister_family",
    "family_names",
    "TooFewSamples",
    "TrainingResult",
    "artifact_checksum",
    "check_trainable",
    "missing_for_counts",
    "estimate",
    "MIN_ROWS",
    "MAX_ISSUES",
    "HELD_OUT_ONLY",
    "load_predictor",
    "refit",
    "refit_rows",
    "search",
    "search_rows",
    "PER_LABEL_MIN",
    "should_promote",
    "prepare_static",
    "set_models_dir",
    "static_missing",
    "prepare_onnx",
    "onnx_missing",
    "onnx_exportable",
    "set_inference_threads",
    "forget_counts",
    "wait_for_counts_saves",
    "warm_kernels",
    "warm_training",
]


def warm_kernels(training: bool = False) -> None:
    """Compile, or load from numba's cache, the engine's compiled loops in this process: the
    serving plan's, and with ``training`` the dual descent's. The first compile on a machine
    takes seconds and is cached beside the package; later processes load it in a fraction of one."""
    from . import _kernels  # numba: imported by who needs it, not with the engine

    _kernels.warm()
    if training:
        _kernels.warm_training()


def warm_training() -> None:
    """Everything a training process loads before its first run, so that run's time ceiling does
    not pay for it: the compiled loops (:func:`warm_kernels`) and the artifact format's reader and
    writer, whose import takes seconds (scikit-learn's types, torch through them)."""
    from .artifact_format import warm_artifact_format

    warm_kernels(training=True)
    warm_artifact_format()
