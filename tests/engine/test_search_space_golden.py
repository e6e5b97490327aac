"""The search space is pinned: with one seed, the sampler suggests the same parameter names and
values in the same order as the recorded list (the bench's quality figures depend on it).

Regenerate ``search_space_golden.json`` only for a deliberate change of the space:
``python tests/engine/test_search_space_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import optuna

from u22a8.engine.embeddings import MINILM, STATIC
from u22a8.engine.search import _enqueue_defaults
from u22a8.engine.space import suggest_member

GOLDEN = Path(__file__).with_name("search_space_golden.json")
TRIALS = 20
# Per effort, what suggest_member is given: low's static kNN partner, medium's MiniLM with cues,
# and a large many-label data set (where logistic regression is not offered).
SPACES: dict[str, dict[str, Any]] = {
    "sparse": dict(embed=False, n_samples=60, n_labels=3),
    "low": dict(embed=True, embedder=STATIC, concat=False, cues=False, n_samples=60, n_labels=3),
    "medium": dict(embed=True, embedder=MINILM, cues=True, n_samples=60, n_labels=3),
    "large": dict(embed=True, embedder=MINILM, cues=True, n_samples=50_000, n_labels=77),
}


def _value(member: dict[str, Any]) -> float:
    """A made-up score that depends only on the configuration, so TPE's path is deterministic."""
    return int(hashlib.md5(json.dumps(member, sort_keys=True).encode()).hexdigest()[:6], 16) / 2**24


def _round(v: Any) -> Any:
    return float(f"{v:.10g}") if isinstance(v, float) else v


def suggestions(task: str, space: str) -> list[list[list[Any]]]:
    kw = dict(SPACES[space])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=3, n_startup_trials=8))
    _enqueue_defaults(study, task, kw["embed"], kw.get("embedder", MINILM))
    out = []
    for _ in range(TRIALS):
        trial = study.ask()
        member = suggest_member(trial, task, **kw)
        study.tell(trial, _value(member))
        out.append([[name, _round(v)] for name, v in trial.params.items()])
    return out


def _all() -> dict[str, Any]:
    return {f"{task}/{space}": suggestions(task, space) for task in ("classify", "multilabel", "score")
            for space in SPACES}


def test_seeded_search_suggests_the_recorded_parameters() -> None:
    assert _all() == json.loads(GOLDEN.read_text())


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(_all(), indent=None, separators=(",", ":")) + "\n")
