"""``u22a8 models …`` and ``u22a8 samples …``."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .._sample_files import SampleBatches, parse_samples_text, read_samples
from ._common import ExitCode, JsonOpt, api, emit_json, err, fail, out, show
from ._render import model_details, models_table, samples_table

__all__ = ["models_app", "samples_app"]

models_app = typer.Typer(help="Create, list, show and delete models.", no_args_is_help=True)
samples_app = typer.Typer(help="Upload and list a model's labeled samples.", no_args_is_help=True)

Handle = Annotated[str, typer.Argument(help="owner.name, e.g. acme.support-tone")]


# The server's registered tasks. The CLI talks HTTP only and checks the flag before a request;
# tests/test_cli.py fails when this list and the engine's registry part.
TASKS = ("classify", "multilabel", "score")
_TASK_WORDS = ", ".join(TASKS[:-1]) + f" or {TASKS[-1]}"


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


@models_app.command("create")
def models_create(
    ctx: typer.Context,
    handle: Handle,
    task: Annotated[str, typer.Option("--task", "-t", help=f"{_TASK_WORDS}.")] = "classify",
    labels: Annotated[Optional[str], typer.Option(help="Closed label set, comma-separated: friendly,curt,sorry.")] = None,
    description: Annotated[str, typer.Option("--description", "-d", help="What the model is for.")] = "",
    auto_retrain: Annotated[bool, typer.Option("--auto-retrain/--no-auto-retrain",
                                               help="Retrain by itself when samples change.")] = True,
    fallback_label: Annotated[Optional[str], typer.Option(help="classify: answer this label when not sure; "
                                                          "samples of it are examples of what not to answer.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a model (state draft until its first training)."""
    if task not in TASKS:
        fail(f"--task must be {_TASK_WORDS}, not {task!r}")
    with api(ctx, as_json) as client:
        model = client.models.create(handle, task, labels=_split(labels), description=description,
                                     auto_retrain=None if auto_retrain else False, fallback_label=fallback_label)
    show(as_json, model.raw, f"created {model.handle} ({model.task}, {model.state})")


@models_app.command("list")
def models_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every model this key can see: its owner's and the platform's."""
    with api(ctx, as_json) as client:
        models = list(client.models.list())
    show(as_json, [m.raw for m in models], models_table(models))


@models_app.command("show")
def models_show(ctx: typer.Context, handle: Handle, as_json: JsonOpt = False) -> None:
    """A model's state, samples, active version and last run."""
    with api(ctx, as_json) as client:
        model = client.models.get(handle)
    show(as_json, model.raw, model_details(model))


@models_app.command("delete")
def models_delete(
    ctx: typer.Context,
    handle: Handle,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a model with its samples, runs and versions."""
    if not yes and not typer.confirm(f"Delete {handle} with all its samples, runs and versions?"):
        raise typer.Exit(int(ExitCode.USAGE))
    with api(ctx, as_json) as client:
        client.models.delete(handle)
    show(as_json, {"deleted": handle}, f"deleted {handle}")


def _read(file: str, format: str | None) -> SampleBatches:
    try:
        if file == "-":
            if format is None:
                fail("reading samples from stdin needs --format csv, jsonl or json")
            return parse_samples_text(sys.stdin.read(), format, "stdin")
        return read_samples(Path(file), format)
    except (OSError, ValueError) as exc:
        fail(str(exc))


@samples_app.command("add")
def samples_add(
    ctx: typer.Context,
    handle: Handle,
    file: Annotated[str, typer.Argument(help="A .csv (header: text,label / text,labels / text,score), "
                                             ".jsonl/.ndjson or .json file; - reads stdin.")],
    format: Annotated[Optional[str], typer.Option("--format", "-f", help="csv, jsonl, ndjson or json "
                                                                         "(default: from the file name).")] = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Samples per request.")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Upload samples; existing ones (same id, or same text without id) are updated."""
    batches = _read(file, format)
    console = err()
    # A bar only on a terminal: in logs and pipes it would be noise.
    progress = Progress(TextColumn("uploading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, disable=as_json or not console.is_terminal, transient=True)
    with progress, api(ctx, as_json) as client:
        task = progress.add_task("upload", total=len(batches))
        counts = client.samples.add(handle, batches, chunk_size=chunk_size,
                                    on_progress=lambda done, total: progress.update(task, completed=done))
    if as_json:
        emit_json({"added": counts.added, "updated": counts.updated, "unchanged": counts.unchanged,
                   "sample_count": counts.sample_count})
    else:
        out().print(f"{handle}: {counts.added} added, {counts.updated} updated, {counts.unchanged} unchanged; "
                    f"{counts.sample_count} samples in all")


@samples_app.command("list")
def samples_list(
    ctx: typer.Context,
    handle: Handle,
    label: Annotated[Optional[str], typer.Option(help="Only samples with this label.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """A model's samples, oldest first."""
    with api(ctx, as_json) as client:
        found = client.samples.list(handle, label=label, page_size=min(limit or 1000, 1000))
        samples = list(itertools.islice(found, limit or None))
    show(as_json, [s.raw for s in samples], samples_table(samples))


@samples_app.command("delete")
def samples_delete(ctx: typer.Context, handle: Handle,
                   sample_id: Annotated[str, typer.Argument(help="The sample's id.")], as_json: JsonOpt = False) -> None:
    """Delete one sample (a ready model retrains after the quiet period)."""
    with api(ctx, as_json) as client:
        client.samples.delete(handle, sample_id)
    show(as_json, {"deleted": sample_id}, f"deleted sample {sample_id}")
