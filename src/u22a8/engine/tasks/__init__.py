"""Tasks as registered objects: ``get_task(name)`` gives the object that owns a task's rules.

Importing this package registers the built-in tasks, in the order users see them.
"""

from . import classify, multilabel, score  # noqa: F401  (registration)
from ._base import (SERVED_DIGITS, TARGET_FIELDS, TargetShape, Task, get_task, label_problem, register_task, served_values,
                    task_names, tasks, unregister_task)

__all__ = ["Task", "TargetShape", "TARGET_FIELDS", "SERVED_DIGITS", "served_values", "label_problem", "get_task", "register_task", "unregister_task", "task_names", "tasks"]
