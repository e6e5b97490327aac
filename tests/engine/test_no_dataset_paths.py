"""No feature block is chosen by the name of a data set or a label: only the search's scores decide.

Two checks: the engine's code holds no data set names at all (outside comments and docstrings),
and renaming every label consistently — even to names of the public sets the engine is developed
on — changes nothing the search chooses. The run's report says what it chose.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from u22a8 import engine
from u22a8.engine import Dataset

from .conftest import classify_data, multilabel_data

ENGINE = Path(engine.__file__).parent
# The public sets of the development suite (bench/suite.py) and the words a special case would use.
SET_NAMES = re.compile(r"banking|politeness|impolite|hwu|trec|sst-?5|goemotion|emobank|valence|emotion", re.I)


def _code_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def test_the_engine_names_no_data_set_in_its_code() -> None:
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ENGINE)}:{line}: {text[:60]!r}" for line, text in _code_strings(tree)
                  if SET_NAMES.search(text)]
        found += [f"{path.relative_to(ENGINE)}:{n.lineno}: name {n.id}" for n in ast.walk(tree)
                  if isinstance(n, ast.Name) and SET_NAMES.search(n.id)]
    assert not found, "data set names in engine code:\n" + "\n".join(found)


def _renamed(data: Dataset, mapping: dict[str, str]) -> Dataset:
    def one(target: object) -> object:
        return mapping[target] if isinstance(target, str) else [mapping[t] for t in target]  # type: ignore[union-attr]

    return Dataset(data.task, list(data.texts), [one(t) for t in data.targets])


def _choices(result: engine.TrainingResult) -> tuple[object, object]:
    return result.params, result.metrics["chosen"]


@pytest.mark.parametrize("data, mapping", [
    # Renamed to the names of public sets, in the same sorted order (so folds and label indices line up).
    (classify_data(), {"curt": "banking77", "friendly": "politeness", "sorry": "sst5"}),
    (multilabel_data(), {"billing": "emotion", "login": "impolite", "shipping": "valence"}),
], ids=["classify", "multilabel"])
def test_renaming_labels_changes_nothing_the_search_chooses(data: Dataset, mapping: dict[str, str]) -> None:
    before = engine.search(data, "low")
    after = engine.search(_renamed(data, mapping), "low")
    assert _choices(after) == _choices(before)
    chosen = before.metrics["chosen"]
    # The report names the blocks and families, overall and per member.
    assert chosen["blocks"] and set(chosen["blocks"]) <= {"word", "char", "cues", "minilm-static", "minilm-l6-v2"}
    assert chosen["families"] and len(chosen["members"]) == len(before.params["members"])
    assert after.metrics["primary"] == before.metrics["primary"]
