"""``u22a8 versions …`` and ``u22a8 export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .._client import Client
from ._common import ExitCode, JsonOpt, api, emit_json, fail, out, show
from ._render import confusion_table, per_class_table, summary_table, versions_table

__all__ = ["versions_app", "export"]

versions_app = typer.Typer(help="Trained versions: list, activate (roll back), report.", no_args_is_help=True)

Handle = Annotated[str, typer.Argument(help="owner.name, e.g. acme.support-tone")]


def active_number(client: Client, handle: str) -> int:
    model = client.models.get(handle)
    if model.active_version is None:
        fail(f"{handle} has no active version yet; train it first", ExitCode.API_ERROR)
    return model.active_version.number


@versions_app.command("list")
def versions_list(ctx: typer.Context, handle: Handle, as_json: JsonOpt = False) -> None:
    """Every version of a model; * marks the one serving predictions."""
    with api(ctx, as_json) as client:
        versions = client.versions.list(handle)
    show(as_json, [v.raw for v in versions], versions_table(versions))


@versions_app.command("activate")
def versions_activate(ctx: typer.Context, handle: Handle,
                      number: Annotated[int, typer.Argument(help="The version to serve.")],
                      as_json: JsonOpt = False) -> None:
    """Serve this version from now on (a rollback, or a roll forward)."""
    with api(ctx, as_json) as client:
        version = client.versions.activate(handle, number)
    show(as_json, version.raw, f"{handle} now serves version {version.number}")


@versions_app.command("report")
def versions_report(
    ctx: typer.Context,
    handle: Handle,
    number: Annotated[Optional[int], typer.Argument(help="Version number (default: the active one).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A version's evaluation: headline metrics, per-class scores and the confusion matrix."""
    with api(ctx, as_json) as client:
        report = client.versions.report(handle, number if number is not None else active_number(client, handle))
    if as_json:
        emit_json(report.raw)
        return
    console = out()
    console.print(summary_table(report))
    for table in (per_class_table(report), confusion_table(report)):
        if table is not None:
            console.print()
            console.print(table)


def export(
    ctx: typer.Context,
    handle: Handle,
    version: Annotated[Optional[int], typer.Option("--version", "-v", help="Version (default: the active one).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="File, or directory to put it in.")] = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Download a version as one file; load it offline with u22a8.load_export(path)."""
    with api(ctx, as_json) as client:
        number = version if version is not None else active_number(client, handle)
        path = client.versions.export(handle, number, output)
    show(as_json, {"model": handle, "version": number, "path": str(path)}, f"wrote {path}", markup=False)
