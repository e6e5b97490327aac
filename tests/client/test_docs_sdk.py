"""docs/sdk.md is executable: its python blocks run in order, in one namespace, against a real server."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

import u22a8

from ..conftest import ROOT, LiveServer

SDK_MD = ROOT / "docs" / "sdk.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_sdk_docs_examples_run(live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("U22A8_BASE_URL", live_server.url)
    monkeypatch.setenv("U22A8_API_KEY", live_server.key("acme", ("read", "write", "train", "admin")))
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(SDK_MD.read_text())
    assert len(blocks) >= 12
    namespace: dict[str, object] = {"__name__": "docs_sdk"}
    printed = io.StringIO()
    for i, block in enumerate(blocks):
        with contextlib.redirect_stdout(printed):
            try:
                exec(compile(block, f"docs/sdk.md block {i + 1}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the message names the failing block
                raise AssertionError(f"docs/sdk.md block {i + 1} failed: {exc!r}\n{block}") from exc
    output = printed.getvalue()
    assert "draft" in output and "busy run_" in output and "handled: no model" in output
    assert "404 not_found" in output


def test_sdk_docs_mention_every_public_name() -> None:
    text = SDK_MD.read_text()
    names = set(u22a8.client.__all__) - {"DEFAULT_BASE_URL", "AutoRetrain", "VersionSummary"}
    assert sorted(n for n in names if n not in text) == []
