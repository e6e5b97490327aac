"""Files and directories the platform creates hold tenants' data: readable by their owner only.

Only what is created here gets these modes. A directory or database that already exists keeps
its own (an operator may have chosen a group on purpose, say for workers on a shared mount).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["private_dir", "private_file"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as owner-only directories; return it."""
    missing: list[Path] = []
    here = Path(path)
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(directory, DIR_MODE)  # mkdir's mode is cut by the umask; this one must not grow either
    return Path(path)


def private_file(path: Path) -> None:
    """Create an empty owner-only file at ``path`` unless one is there (then leave it as it is)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
