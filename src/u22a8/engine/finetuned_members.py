"""Ensemble members built on a fine-tuned MiniLM (:mod:`.finetune`): params, fold outputs, final fits.

Two members share one fine-tuned encoder per set of training rows:

- ``tuned-softmax``: the encoder's own classification head (``model.family == "finetuned"``);
- ``tuned-linear``: TF-IDF word 1-2 + char_wb 2-5 ⊕ the fine-tuned embedding into a linear SVM,
  i.e. the default configuration with the fine-tuned encoder in place of the frozen one.

Evaluation protocol: a member's held-out outputs on a protocol fold come from an encoder
fine-tuned on that fold's training rows only (else the held-out rows would have been learnt and
the metrics, temperatures and blend weights would leak); the served members use one more
encoder, fine-tuned on all rows. So a 1-fold protocol (large data) fine-tunes twice, a 5-fold
protocol (≤ 2,000 samples) six times. When time is short on large data the recipe says
``final_fit: false`` and the holdout fold's encoder is served: one fine-tuning, and the served
encoder is exactly the one the metrics measured (it just never saw the 20% held out).

Params stay plain JSON: a member records its :class:`~.finetune.Recipe` under
``features["finetune"]``, never weights. A refit re-fine-tunes with that recipe on the new data
(same seed, so the same data gives the same network): honest held-out metrics for the promotion
decision, at the price of minutes instead of seconds for a max version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .assemble import assemble, protocol_outputs
from .embeddings import MINILM
# Both classes live with the family and the encoder now; named here too, where legacy pickled
# artifacts look them up.
from .families.finetuned import PassThroughHead
from .finetune import (ENCODE_SECONDS_PER_TEXT, LOAD_SECONDS, TRAIN_SECONDS_PER_TEXT, FineTunedEncoder, Recipe,
                       TunedLogits, fine_tune, planned_steps)
from .training import Workspace
from .types import TrainingResult

__all__ = ["tuned_members", "is_tuned", "TunedLogits", "PassThroughHead", "fit_tuned", "TunedFits",
           "tuned_seconds", "plan_recipe", "cheapest_seconds", "refit_with_tuned"]

FT_KEY = "finetune"
_SPARSE = {"word_ngrams": [1, 2], "char_ngrams": [2, 5], "word_weight": 1.0, "char_weight": 1.0,
           "lowercase": True, "edges": True}


def tuned_members(recipe: Recipe) -> list[dict[str, Any]]:
    """The params of the two members built on one fine-tuned encoder."""
    ft = recipe.to_params()
    softmax = {"features": {**_SPARSE, "word_ngrams": None, "char_ngrams": None, "embed": MINILM,
                            "embed_weight": 1.0, FT_KEY: ft},
               "model": {"family": "finetuned"}, "weight": 1.0}
    linear = {"features": {**_SPARSE, "embed": MINILM, "embed_weight": 2.0, FT_KEY: ft},
              "model": {"family": "svm", "C": 0.5, "class_weight": None}, "weight": 1.0}
    return [softmax, linear]


def is_tuned(member: dict[str, Any]) -> bool:
    return bool(member.get("features", {}).get(FT_KEY))


def tuned_seconds(n_samples: int, n_protocol: int, n_folds: int, recipe: Recipe, slowdown: float = 1.0) -> float:
    """Expected wall seconds of :func:`fit_tuned` (both members): on the reference machine, times
    ``slowdown`` (this machine's measured training speed over the reference's)."""
    per_fold_rows = n_samples * (n_folds - 1) / max(n_folds, 1) if n_protocol else n_samples
    final = recipe.final_fit or n_protocol > 1
    train_rows = n_protocol * per_fold_rows + (n_samples if final else 0)
    encode_rows = (n_protocol + int(final)) * n_samples  # the linear member needs every row's embedding
    work = TRAIN_SECONDS_PER_TEXT * recipe.epochs * train_rows + ENCODE_SECONDS_PER_TEXT * encode_rows
    return LOAD_SECONDS + slowdown * work


def plan_recipe(n_samples: int, n_protocol: int, n_folds: int, seconds: float, slowdown: float = 1.0) -> Recipe | None:
    """The best recipe whose fine-tuning fits in ``seconds``, or None.

    In order: 3 epochs with a final fine-tuning on all rows; then (single-holdout protocol only)
    3, else 2 epochs serving the holdout fold's encoder (half the cost: it learnt from 80% of
    the rows). One epoch is not offered: it leaves the encoder short of what the frozen one plus
    TF-IDF already gives, so it would cost minutes for little.
    """
    for recipe in _plans(n_protocol):
        if tuned_seconds(n_samples, n_protocol, n_folds, recipe, slowdown) <= seconds:
            return recipe
    return None


def cheapest_seconds(n_samples: int, n_protocol: int, n_folds: int, slowdown: float = 1.0) -> float:
    """What the cheapest recipe :func:`plan_recipe` offers for this protocol would take: the
    figure a skipped fine-tuning is reported against."""
    return tuned_seconds(n_samples, n_protocol, n_folds, _plans(n_protocol)[-1], slowdown)


def _plans(n_protocol: int) -> list[Recipe]:
    """The recipes offered, best first (see :func:`plan_recipe`)."""
    plans = [Recipe(epochs=3)]
    if n_protocol == 1:
        plans += [Recipe(epochs=3, final_fit=False), Recipe(epochs=2, final_fit=False)]
    return plans


@dataclass
class TunedFits:
    outputs: list[dict[int, np.ndarray]]  # per member: protocol fold → held-out margins
    fitted: list[tuple[Any, Any]]  # per member: (features, head) fitted on all rows
    seconds: float


def _sparse(features: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in features.items() if k != FT_KEY} | {"embed": None}


def _recipe_of(members: list[dict[str, Any]]) -> Recipe:
    recipes = {json.dumps(m["features"][FT_KEY], sort_keys=True) for m in members}
    if len(recipes) != 1:
        raise ValueError("tuned members must share one fine-tuning recipe")
    return Recipe.from_params(members[0]["features"][FT_KEY])


def fit_tuned(ws: Workspace, members: list[dict[str, Any]], *, should_stop: Callable[[], bool] | None = None,
              deadline: float | None = None, on_steps: Callable[[int, int], None] | None = None) -> TunedFits | None:
    """Fine-tune per protocol fold and on all rows; every member's fold outputs and final fit.

    Returns None when the deadline cut a fine-tuning short: a half-trained encoder would be
    served under metrics measured on a fully trained one (or the other way round).

    ``on_steps(done, planned)``: training steps (batches) over all the fine-tunings this call
    plans (each protocol fold's and the final one), once with 0 before the first and then after
    every batch; ``done`` reaches ``planned`` only if all of them run to the end.
    """
    if not ws.task_rules.fine_tunable or not members:
        raise ValueError(f"fine-tuned members are not for {ws.task} tasks")
    t0 = time.monotonic()
    recipe = _recipe_of(members)
    n_labels = len(ws.labels or [])
    need_all_rows = any(m["model"]["family"] != "finetuned" for m in members)
    final = recipe.final_fit or ws.n_protocol > 1
    sizes = [len(ws.folds[k][0]) for k in range(ws.n_protocol)] + ([ws.n] if final else [])
    planned = sum(planned_steps(size, recipe) for size in sizes)
    steps_before = 0  # steps of the fine-tunings already finished
    if on_steps is not None:
        on_steps(0, planned)

    def tune(rows: np.ndarray) -> FineTunedEncoder | None:
        nonlocal steps_before
        weights = None if ws.weights is None else ws.weights[rows]
        on_step = None if on_steps is None else (lambda done, _: on_steps(steps_before + done, planned))
        enc = fine_tune([ws.texts[i] for i in rows], ws.y[rows], n_labels, recipe, weights=weights,
                        should_stop=should_stop, deadline=deadline, on_step=on_step)
        steps_before += enc.steps_planned
        return enc if enc.complete else None

    outputs: list[dict[int, np.ndarray]] = [{} for _ in members]
    enc: FineTunedEncoder | None = None
    emb: np.ndarray | None = None
    for k in range(ws.n_protocol):
        train, test = ws.folds[k]
        enc = tune(train)
        if enc is None:
            return None
        emb = enc.encode(ws.texts) if need_all_rows else None
        test_emb = emb[test] if emb is not None else enc.encode([ws.texts[i] for i in test])
        for j, m in enumerate(members):
            if m["model"]["family"] == "finetuned":
                outputs[j][k] = enc.logits(test_emb)
            else:
                assert emb is not None
                outputs[j][k] = _linear_fold(ws, m, train, test, emb)
    # The final fine-tuning sees 1/(1 - 1/folds) times the rows of a fold's: if, at the pace just
    # measured, it cannot end by the deadline, stop now rather than spend the time and drop it.
    per_fold = (time.monotonic() - t0) / max(ws.n_protocol, 1)
    if final:
        if deadline is not None and time.monotonic() + per_fold * ws.n / max(len(ws.folds[0][0]), 1) > deadline:
            return None
        enc = tune(np.arange(ws.n))
        if enc is None:
            return None
        emb = enc.encode(ws.texts) if need_all_rows else None
    # else: serve the holdout fold's encoder (``enc``, ``emb`` from the loop): the one measured.
    assert enc is not None
    fitted = [(TunedLogits(enc), PassThroughHead(n_labels)) if m["model"]["family"] == "finetuned"
              else _linear_full(ws, m, enc, emb) for m in members]
    return TunedFits(outputs=outputs, fitted=fitted, seconds=time.monotonic() - t0)


def _linear_fold(ws: Workspace, member: dict[str, Any], train: np.ndarray, test: np.ndarray,
                 emb: np.ndarray) -> np.ndarray:
    features = _sparse(member["features"])
    dense = emb * np.float32(member["features"].get("embed_weight", 2.0))
    x_train, x_test = ws.counted(features).fold(ws.text_features(features), train, test, dense)
    return ws.head_output(ws.fit_head(member, x_train, train), x_test)


def _linear_full(ws: Workspace, member: dict[str, Any], enc: FineTunedEncoder,
                 emb: np.ndarray | None) -> tuple[Any, Any]:
    assert emb is not None
    weight = float(member["features"].get("embed_weight", 2.0))
    tf, x = ws.full(_sparse(member["features"]))
    x = sp.hstack([x, sp.csr_matrix(emb * np.float32(weight))], format="csr")
    head = ws.fit_head(member, x, np.arange(ws.n))
    # Serve with the fine-tuned encoder as the dense block, in the same column position.
    tf.embed, tf.embed_weight, tf.embedder = enc.name, weight, enc
    return tf, head


def refit_with_tuned(ws: Workspace, members: list[dict[str, Any]], *, cpu0: float,
                     report: dict[str, Any]) -> TrainingResult:
    """Refit of params holding tuned members: the plain ones as usual, the tuned ones re-fine-tuned.

    The recorded recipe is repeated on the new data rather than the old encoder reused: the old
    one was fine-tuned on rows that may now sit in the held-out fold, so its metrics would leak,
    and the promotion rule compares metrics. Costs minutes on large data (see :func:`tuned_seconds`).
    Without a usable MiniLM here (``ws.usable`` dropped the embedder) the tuned members are left
    out, with a note, and the others keep their relative weights.
    """
    kept = [m for m in members if not is_tuned(m) or m["features"].get("embed")]
    if len(kept) < len(members):
        ws.notes.append("fine-tuned members left out: MiniLM is not available here")
    tuned = [m for m in kept if is_tuned(m)]
    fits = fit_tuned(ws, tuned) if tuned else None
    tuned_out = dict(zip(map(id, tuned), zip(fits.outputs, fits.fitted))) if fits else {}
    outputs = [tuned_out[id(m)][0] if id(m) in tuned_out else protocol_outputs(ws, m) for m in kept]
    fitted = [tuned_out[id(m)][1] if id(m) in tuned_out else None for m in kept]
    result = assemble(ws, kept, outputs, trials_done=0, cpu0=cpu0, report=report, extra_metrics={"refit": True},
                      fitted=fitted)
    ws.remember_counts([m for m in kept if not is_tuned(m)])
    return result
