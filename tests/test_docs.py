"""Docs are part of the product: every setting and CLI command must be documented."""

from __future__ import annotations

from pathlib import Path

from u22a8.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    missing = [name for name in Settings.model_fields if f"U22A8_{name.upper()}" not in text]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert [line.split()[0:2] for line in block] == [["make", "run"], ["make", "test"]]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
