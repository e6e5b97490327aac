"""Model families as registered objects: ``get_family(name)`` gives the object that owns a head.

Importing this package registers the built-in families. Registration order is the order of the
search's ``family`` choice (Optuna's sampler depends on it): classifiers svm, sgd, logreg;
regressors ridge, svr.
"""

from typing import Any

from . import svm, sgd, logreg, ridge, svr, knn, finetuned  # noqa: F401  (registration, in this order)
from ._base import Family, families, family_names, get_family, register_family, searched_families, unregister_family
from ._heads import KNNHead, LinearHead, MultiLabelHead, ScoreHead
from ..tasks import get_task

__all__ = ["Family", "get_family", "register_family", "unregister_family", "family_names", "families", "searched_families",
           "make_head", "LinearHead", "MultiLabelHead", "ScoreHead", "KNNHead"]


def make_head(task: str, model: dict[str, Any], seed: int = 0) -> Any:
    """The unfitted head described by the ``model`` part of a member."""
    return get_family(model["family"]).make_head(get_task(task), model, seed)
