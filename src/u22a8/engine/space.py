"""What a search may try: the known-good default per task, and the space around it per effort.

A member config is plain JSON (lists, not tuples) because it is stored as the version's
``params`` and handed back to :func:`refit`.
"""

from __future__ import annotations

import copy
from typing import Any

import optuna

from .embeddings import MINILM
from .families import get_family, searched_families
from .tasks import get_task

__all__ = ["default_member", "knn_member", "suggest_member", "normalize_params", "member_summary", "chosen_summary"]

_SPARSE = {"word_ngrams": [1, 2], "char_ngrams": [2, 5], "word_weight": 1.0, "char_weight": 1.0,
           "lowercase": True, "edges": True, "embed": None, "embed_weight": 2.0}
_CHAR_RANGES = {"none": None, "2-4": [2, 4], "2-5": [2, 5], "1-5": [1, 5], "3-6": [3, 6]}


def default_member(task: str, embed: bool = False, embedder: str = MINILM) -> dict[str, Any]:
    """The configuration tried first: TF-IDF word 1-2 + char_wb 2-5 (⊕ MiniLM ×2) into a linear model."""
    features = dict(_SPARSE)
    if embed:
        features["embed"] = embedder
    return {"features": features, "model": get_family(get_task(task).default_family).default_model(), "weight": 1.0}


def knn_member(task: str, embedder: str = MINILM) -> dict[str, Any]:
    """Nearest neighbours on the sentence embedding alone: different errors from n-gram models."""
    features = {**_SPARSE, "word_ngrams": None, "char_ngrams": None, "embed": embedder, "embed_weight": 1.0}
    return {"features": features, "model": get_family("knn").default_model(), "weight": 1.0}


def suggest_member(trial: optuna.Trial, task: str, *, embed: bool, n_samples: int, n_labels: int,
                   embedder: str = MINILM, cues: bool | None = None, concat: bool = True) -> dict[str, Any]:
    """Sample one configuration. ``embed`` allows kNN on the ``embedder``'s vectors and, with
    ``concat``, appending them to the n-gram blocks;
    ``cues`` allows the tone-cue block. By default cues go with the MiniLM efforts (medium and
    up, which can afford a larger space); low, with the static embedding, keeps its small one."""
    if embed and trial.suggest_categorical("knn", [False, True]):
        return {**knn_member(task, embedder), "model": get_family("knn").suggest(trial)}
    word = trial.suggest_categorical("word_ngrams", ["1-1", "1-2", "1-3", "none"])
    char = trial.suggest_categorical("char_ngrams", list(_CHAR_RANGES))
    features: dict[str, Any] = {
        "word_ngrams": None if word == "none" else [1, int(word[-1])],
        "char_ngrams": _CHAR_RANGES[char],
        "word_weight": 1.0,
        "char_weight": round(trial.suggest_float("char_weight", 0.5, 2.0, log=True), 4) if char != "none" else 1.0,
        "lowercase": trial.suggest_categorical("lowercase", [True, False]),
        "edges": True,
        "embed": None,
        "embed_weight": 2.0,
    }
    if embed and concat and trial.suggest_categorical("embed", [True, False]):
        features["embed"] = embedder
        features["embed_weight"] = round(trial.suggest_float("embed_weight", 1.0, 4.0, log=True), 4)
    if (embedder == MINILM if cues is None else cues) and _suggest_cues(trial):
        # Tone cues help on tone-like targets (bench/RESULTS.md); their weight is relative to the
        # unit-norm TF-IDF blocks.
        features["cues_weight"] = round(trial.suggest_float("cues_weight", 0.5, 3.0, log=True), 4)
    if not features["word_ngrams"] and not features["char_ngrams"] and not features["embed"]:
        features["word_ngrams"] = [1, 1]  # "no features at all" is not a configuration
    return {"features": features, "model": _suggest_model(trial, task, n_samples, n_labels), "weight": 1.0}


def _suggest_cues(trial: optuna.Trial) -> bool:
    """Whether this trial uses the tone-cue block.

    A known-good default enqueued without a cue choice (trial 0 and its siblings, see
    :mod:`.search`) stays exactly as it was, cues off; so does a FixedTrial replaying a trial
    that never chose. Every other trial lets the sampler decide.
    """
    if isinstance(trial, optuna.trial.FixedTrial):
        try:
            return bool(trial.suggest_categorical("cues", [False, True]))
        except ValueError:  # replaying a trial from before cues were in the space
            return False
    try:
        fixed = trial.storage.get_trial_system_attrs(trial._trial_id).get("fixed_params")
    except AttributeError:  # not a storage-backed trial: nothing was enqueued
        fixed = None
    if fixed is not None and "cues" not in fixed:
        return False
    return bool(trial.suggest_categorical("cues", [False, True]))


def _suggest_model(trial: optuna.Trial, task: str, n_samples: int, n_labels: int) -> dict[str, Any]:
    """The family first (among those serving the task and offered at this size), then its own knobs."""
    choices = [f.name for f in searched_families(get_task(task), n_samples, n_labels)]
    return get_family(trial.suggest_categorical("family", choices)).suggest(trial)


def normalize_params(task: str, params: dict[str, Any]) -> dict[str, Any]:
    """Params in the current format; also accepts a bare member and the interim engine's flat dict."""
    params = copy.deepcopy(params)
    if "members" in params:
        return params
    if "features" in params and "model" in params:
        return {"format": 1, "task": task, "members": [{**params, "weight": params.get("weight", 1.0)}]}
    member = default_member(task)  # interim flat params: {"C", "alpha", "word_max", "char"}
    if "word_max" in params:
        member["features"]["word_ngrams"] = [1, int(params["word_max"])]
    if params.get("char") is False:
        member["features"]["char_ngrams"] = None
    model = member["model"]  # the flat dict's knob applies to the default family that has it
    if "alpha" in params and "alpha" in model:
        model["alpha"] = float(params["alpha"])
    elif "C" in params and "C" in model:
        model["C"] = float(params["C"])
    return {"format": 1, "task": task, "members": [member]}


def member_summary(member: dict[str, Any]) -> str:
    f, m = member["features"], member["model"]
    parts = []
    if f.get("word_ngrams"):
        parts.append("word {}-{}".format(*f["word_ngrams"]))
    if f.get("char_ngrams"):
        parts.append("char {}-{}".format(*f["char_ngrams"]))
    if f.get("embed"):
        parts.append(f"{f['embed']}×{f.get('embed_weight', 2.0):g}")
    if f.get("cues_weight"):
        parts.append(f"cues×{f['cues_weight']:g}")
    knobs = ", ".join(f"{k}={v}" for k, v in m.items() if k != "family" and v is not None)
    return f"{' + '.join(parts)} → {m['family']}({knobs})"


def member_blocks(member: dict[str, Any]) -> list[str]:
    """The feature blocks a member uses: ``word``, ``char``, the embedder's name, ``cues``."""
    f = member["features"]
    blocks = [name for name, on in (("word", f.get("word_ngrams")), ("char", f.get("char_ngrams"))) if on]
    if f.get("embed"):
        blocks.append(str(f["embed"]))
    if f.get("cues_weight"):
        blocks.append("cues")
    return blocks


def chosen_summary(members: list[dict[str, Any]]) -> dict[str, Any]:
    """What the search chose, for the run's report: feature blocks and families over all members,
    and each member's blocks, family and weight. Every block is in the space on every data set and
    earns its place through the search's scores alone (tests/engine/test_no_dataset_paths.py)."""
    return {
        "blocks": sorted({b for m in members for b in member_blocks(m)}),
        "families": sorted({m["model"]["family"] for m in members}),
        "members": [{"blocks": member_blocks(m), "family": m["model"]["family"],
                     "weight": round(float(m.get("weight", 1.0)), 4)} for m in members],
    }
