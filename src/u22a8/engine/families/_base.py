"""The model-family contract and its registry.

A :class:`Family` owns one kind of head: its part of the search space (under its own Optuna
parameter names), the head it builds (a scikit-learn style estimator: ``__init__`` stores
parameters, ``fit`` returns self, learned attributes end in ``_``), and its known-good default.
Heads expose raw outputs only (margins or values); calibration belongs to the task.

Adding a family is one module: subclass :class:`Family`, decorate it with
:func:`register_family`, import the module in :mod:`u22a8.engine.families`. Searched families
enter the search's ``family`` choice in registration order, so a new one goes last and leaves
the earlier choices' order as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..registry import Registry

if TYPE_CHECKING:
    import optuna

    from ..tasks import Task

__all__ = ["Family", "register_family", "unregister_family", "get_family", "family_names", "searched_families",
           "families"]

T = TypeVar("T", bound=type)


class Family:
    """One kind of head. Subclasses set ``name`` and implement the methods.

    - :meth:`serves`: whether a task's targets suit this head;
    - :meth:`suggest`: the model part of a member (``{"family": name, ...}``), sampled from the
      trial under this family's own parameter names;
    - :meth:`default_model` and :meth:`default_suggestion`: the known-good configuration, as a
      model part and as the trial parameters that make :meth:`suggest` return it;
    - :meth:`make_head`: an unfitted head for a model part;
    - ``fit_rates``: what a fit costs, for the estimate;
    - :meth:`artifact_types`: the classes a fitted member of this family stores in an artifact
      (its head and what the head holds). They are all the artifact loader trusts besides the
      engine's own containers (see :mod:`..artifact_format`): a class missing here makes the
      family's versions refuse to load, never load anything else.
    """

    name: ClassVar[str]
    searched: ClassVar[bool] = True  # offered in the search's ``family`` choice
    # The cost model's (:mod:`..estimate`) seconds per training row and output column of one
    # fit, without and with the dense embedding block, on the reference machine.
    fit_rates: ClassVar[tuple[float, float]] = (0.0, 0.0)

    def serves(self, task: "Task") -> bool:
        raise NotImplementedError

    def offered(self, n_samples: int, n_labels: int) -> bool:
        """Whether the search offers this family for data of this size (cost caps)."""
        return True

    def suggest(self, trial: "optuna.Trial") -> dict[str, Any]:
        raise NotImplementedError

    def default_model(self) -> dict[str, Any]:
        raise NotImplementedError

    def default_suggestion(self) -> dict[str, Any]:
        raise NotImplementedError

    def make_head(self, task: "Task", model: dict[str, Any], seed: int = 0) -> Any:
        raise NotImplementedError

    def artifact_types(self) -> tuple[type, ...]:
        return ()


_FAMILIES: Registry[Family] = Registry("model family")


def register_family(cls: T) -> T:
    """Class decorator: one instance of ``cls`` becomes the family named ``cls.name``."""
    return _FAMILIES.register(cls)  # type: ignore[no-any-return]


def unregister_family(name: str) -> None:
    _FAMILIES.unregister(name)


def get_family(name: str) -> Family:
    return _FAMILIES.get(name)


def family_names() -> tuple[str, ...]:
    return _FAMILIES.names()


def families() -> Iterator[Family]:
    """Every registered family, in registration order."""
    return iter(_FAMILIES)


def searched_families(task: "Task", n_samples: int, n_labels: int) -> Iterator[Family]:
    """The families a search may choose for ``task`` on data of this size, in registration order."""
    for family in _FAMILIES:
        if family.searched and family.serves(task) and family.offered(n_samples, n_labels):
            yield family
