"""``u22a8 pool …`` (unlabeled texts beside a model), ``u22a8 suggestions`` and ``u22a8 label``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from .._pool_types import PoolText, Suggestion
from ._common import ExitCode, JsonOpt, api, fail, out, show

__all__ = ["pool_app", "suggestions", "label"]

pool_app = typer.Typer(help="A model's pool of unlabeled texts: add, list, delete, clear.", no_args_is_help=True)

Handle = Annotated[str, typer.Argument(help="owner.name, e.g. acme.support-tone")]


def _guess(guess: Any) -> str:
    if "label" in guess:
        return f"{guess['label']} ({guess.get('confidence', 0):.0%})"
    if "labels" in guess:
        return ",".join(guess["labels"]) or "(none)"
    return f"{guess.get('score', 0):.3g}"


def _pool_table(texts: Iterable[PoolText]) -> Table:
    table = Table("id", "text", "added")
    for t in texts:
        table.add_row(t.id, t.text, t.created_at.isoformat(timespec="seconds"))
    return table


def _suggestions_table(items: Iterable[Suggestion]) -> Table:
    table = Table("rank", "id", "uncertainty", "guess", "text")
    for s in items:
        table.add_row(str(s.rank), s.id, f"{s.uncertainty:.2f}", _guess(s.guess), s.text)
    return table


@pool_app.command("add")
def pool_add(
    ctx: typer.Context,
    handle: Handle,
    file: Annotated[Optional[Path], typer.Argument(help="A .csv (text, optional id), .jsonl/.ndjson or .json file.")] = None,
    text: Annotated[Optional[list[str]], typer.Option("--text", "-t", help="A text to add (repeat).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add unlabeled texts; those already in the pool or already labeled are left out."""
    if (file is None) == (not text):
        fail("give a file or --text (not both)", ExitCode.USAGE)
    if file is not None and not file.exists():
        fail(f"no such file: {file}", ExitCode.USAGE)
    with api(ctx, as_json) as client:
        counts = client.pool.add(handle, file if file is not None else list(text or []))
    show(as_json, counts.__dict__, f"{counts.added} added, {counts.updated} updated, {counts.unchanged} unchanged, "
                                   f"{counts.labeled} labeled already; the pool holds {counts.pool_count} texts")


@pool_app.command("list")
def pool_list(
    ctx: typer.Context,
    handle: Handle,
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The pool's texts, oldest first."""
    with api(ctx, as_json) as client:
        found = list(itertools.islice(client.pool.list(handle, page_size=min(limit or 1000, 1000)), limit or None))
    show(as_json, [t.raw for t in found], _pool_table(found))


@pool_app.command("delete")
def pool_delete(ctx: typer.Context, handle: Handle,
                pool_id: Annotated[str, typer.Argument(help="The text's id (see pool list).")],
                as_json: JsonOpt = False) -> None:
    """Delete one text from the pool."""
    with api(ctx, as_json) as client:
        client.pool.delete(handle, pool_id)
    show(as_json, {"deleted": pool_id}, f"deleted {pool_id}")


@pool_app.command("clear")
def pool_clear(ctx: typer.Context, handle: Handle, as_json: JsonOpt = False) -> None:
    """Empty the pool."""
    with api(ctx, as_json) as client:
        client.pool.clear(handle)
    show(as_json, {"cleared": handle}, f"the pool of {handle} is empty")


def suggestions(
    ctx: typer.Context,
    handle: Handle,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many texts to suggest.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The pool texts worth labeling next: the active version is least sure about them, no two alike."""
    with api(ctx, as_json) as client:
        found = client.suggestions(handle, limit=limit)
    show(as_json, {"version": found.version, "pool_count": found.pool_count,
                   "items": [s.__dict__ for s in found.items]}, _suggestions_table(found.items))


def label(
    ctx: typer.Context,
    handle: Handle,
    count: Annotated[int, typer.Option(min=1, max=500, help="Stop after this many texts.")] = 20,
) -> None:
    """Label suggestions in the terminal: a number picks a label, Enter takes the guess, s skips, q quits.
    Each answer is stored as a sample (a classify model's labels)."""
    with api(ctx) as client:
        model = client.models.get(handle)
        labels = list(model.labels or [])
        if not labels:
            labels = sorted({s.label for s in client.samples.list(handle, page_size=1000) if s.label})
        found = client.suggestions(handle, limit=count)
        console = out()
        console.print("  ".join(f"[bold]{i}[/bold] {name}" for i, name in enumerate(labels, 1)))
        stored = 0
        for s in found.items:
            console.print(f"\n[bold]{s.text}[/bold]\n  guess: {_guess(s.guess)}", highlight=False)
            answer = typer.prompt("label (number, Enter: guess, s: skip, q: quit)", default="", show_default=False)
            answer = answer.strip()
            if answer == "q":
                break
            if answer == "s":
                continue
            chosen = s.guess.get("label") if answer == "" else (
                labels[int(answer) - 1] if answer.isdigit() and 1 <= int(answer) <= len(labels) else None)
            if chosen is None:
                console.print("  (not a label: skipped)")
                continue
            client.samples.add(handle, [{"text": s.text, "label": chosen}])
            stored += 1
        console.print(f"\nstored {stored} sample(s)")
