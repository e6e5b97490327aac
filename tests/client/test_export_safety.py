"""An export file is data: loading one (SDK or CLI) never runs code from it, whatever its
manifest's checksum says. Each crafted file would leave a marker file if anything in it ran."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import u22a8
from u22a8.cli import app
from u22a8.client.cli import ExitCode

from .._crafted import export_file, reduce_pickle, skops_with_function, skops_with_untrusted_type

NEW = "u22a8-export/2"


def _crafted(tmp_path: Path, kind: str, marker: Path) -> Path:
    files = {
        "pickle, first export format": lambda: export_file(reduce_pickle(marker), "u22a8-export/1"),
        "pickle, current export format": lambda: export_file(reduce_pickle(marker), NEW),
        "pickle behind the current header": lambda: export_file(b"u22a8-predictor/2\n" + reduce_pickle(marker), NEW),
        "skops naming an untrusted class": lambda: export_file(skops_with_untrusted_type(marker), NEW),
        "skops carrying os.system": lambda: export_file(skops_with_function(marker), NEW),
    }
    path = tmp_path / "crafted.u22a8.zip"
    path.write_bytes(files[kind]())
    return path


KINDS = ["pickle, first export format", "pickle, current export format", "pickle behind the current header",
         "skops naming an untrusted class", "skops carrying os.system"]


@pytest.mark.parametrize("kind", KINDS)
def test_load_export_refuses_a_crafted_file_and_runs_nothing(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "pwned"
    path = _crafted(tmp_path, kind, marker)
    with pytest.raises(ValueError):
        u22a8.load_export(path)
    with pytest.raises(ValueError):
        u22a8.load_export(path.read_bytes())
    assert not marker.exists()


def test_an_old_export_is_refused_with_what_to_do(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = _crafted(tmp_path, "pickle, first export format", marker)
    with pytest.raises(ValueError, match="download the version again"):
        u22a8.load_export(path)
    assert not marker.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_cli_predict_offline_refuses_a_crafted_file_and_runs_nothing(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "pwned"
    path = _crafted(tmp_path, kind, marker)
    # A narrow terminal: the path must still come out whole, to copy (it is longer than the line).
    result = CliRunner(env={"COLUMNS": "40"}).invoke(app, ["predict-offline", str(path), "hello"])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert str(path) in result.stderr
    assert not marker.exists()
