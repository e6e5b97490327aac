"""``u22a8 train`` and ``u22a8 runs …``, with a live progress bar while waiting."""

from __future__ import annotations

import itertools
import json
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .._run import Run
from ._common import ExitCode, JsonOpt, api, emit_json, err, fail, out, show
from ._render import fmt_score, fmt_seconds, run_details, run_summary, runs_table

__all__ = ["train", "runs_app"]

runs_app = typer.Typer(help="Training runs: list, show, wait for, cancel.", no_args_is_help=True)

Handle = Annotated[str, typer.Argument(help="owner.name, e.g. acme.support-tone")]
RunId = Annotated[str, typer.Argument(help="The run's id.")]
Timeout = Annotated[Optional[float], typer.Option(help="Give up waiting after this many seconds (exit 1).")]


def progress_line(r: Run) -> str:
    """One line about a run in flight, for logs: state, trials, best score, and the phase while set."""
    planned = r.trials_planned if r.trials_planned is not None else "?"
    line = f"{r.kind} {r.state}: {r.trials_done}/{planned} trials, best {fmt_score(r.best_score)}"
    return line + (f", eta {fmt_seconds(r.eta_seconds)}" if r.eta_seconds is not None else "") + (
        f" ({r.phase})" if r.phase else "")


def wait_with_bar(run: Run, *, show: bool, timeout: float | None) -> Run:
    """Poll the run to its end, showing trials done of planned, the best score so far and the
    phase before the trials (max: fine-tuning MiniLM): a live bar on a terminal, one line per
    change otherwise (logs), nothing if not ``show``."""
    console = err()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("trials  best {task.fields[best]}  eta {task.fields[eta]}"), TimeElapsedColumn(),
               TextColumn("{task.fields[phase]}"))
    live = show and console.is_terminal
    with Progress(*columns, console=console, disable=not live) as bar:
        task = bar.add_task(f"{run.kind} {run.state}", total=run.trials_planned, best="-", eta="-", phase="")

        def on_progress(r: Run) -> None:
            if live:
                bar.update(task, description=f"{r.kind} {r.state}", total=r.trials_planned,
                           completed=r.trials_done, best=fmt_score(r.best_score), eta=fmt_seconds(r.eta_seconds),
                           phase=escape(r.phase or ""))
            elif show:
                console.print(progress_line(r), markup=False)

        try:
            return run.wait(on_progress=on_progress, timeout=timeout)
        except TimeoutError:
            bar.stop()
            fail(f"run {run.id} is still going after {timeout:g}s; follow it with `u22a8 runs wait {run.model} {run.id}`",
                 ExitCode.API_ERROR)
        except KeyboardInterrupt:
            bar.stop()
            console.print(f"stopped waiting; run {run.id} goes on (`u22a8 runs cancel {run.model} {run.id}` stops it)",
                          markup=False)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


def _finish(run: Run, as_json: bool) -> None:
    show(as_json, run.raw, run_summary(run), markup=False)
    if not run.succeeded:
        raise typer.Exit(int(ExitCode.RUN_FAILED))


def train(
    ctx: typer.Context,
    handle: Handle,
    effort: Annotated[Optional[str], typer.Option("--effort", "-e", help="low, medium (default), high or max.")] = None,
    reoptimize: Annotated[bool, typer.Option("--reoptimize", help="Search parameters again on a ready model.")] = False,
    wait: Annotated[bool, typer.Option("--wait", "-w", help="Wait for the run to end, with a progress bar.")] = False,
    timeout: Timeout = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a model: a parameter search from draft, or with --reoptimize on a ready model.

    Exits 5 when --wait sees the run fail or get canceled."""
    if effort is not None and effort not in ("low", "medium", "high", "max"):
        fail(f"--effort must be low, medium, high or max, not {effort!r}")
    with api(ctx, as_json) as client:
        result = client.train(handle, effort, reoptimize)
        if result.run is None:
            show(as_json, {**result.raw, "run": None}, f"{handle} is ready; nothing to train (pass --reoptimize to search again)")
            return
        if not wait:
            if as_json:
                emit_json({**result.raw, "run": result.run.raw})
            else:
                r = result.run
                out().print(f"{handle}: run {r.id} ({r.kind}, effort {r.effort or 'medium'}) is {r.state}")
            return
        final = wait_with_bar(result.run, show=not as_json, timeout=timeout)
    _finish(final, as_json)


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    handle: Handle,
    limit: Annotated[int, typer.Option(min=0, help="At most this many, newest first (0: all).")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """A model's runs, newest first."""
    with api(ctx, as_json) as client:
        runs = list(itertools.islice(client.runs.list(handle, page_size=min(limit or 500, 500)), limit or None))
    show(as_json, [r.raw for r in runs], runs_table(runs))


@runs_app.command("show")
def runs_show(ctx: typer.Context, handle: Handle, run_id: RunId, as_json: JsonOpt = False) -> None:
    """One run: state, trials, best score, timing, error or decision."""
    with api(ctx, as_json) as client:
        run = client.runs.get(handle, run_id)
    show(as_json, run.raw, run_details(run))


@runs_app.command("wait")
def runs_wait(ctx: typer.Context, handle: Handle, run_id: RunId, timeout: Timeout = None,
              as_json: JsonOpt = False) -> None:
    """Wait for a run to end, with a progress bar. Exits 5 if it failed or was canceled."""
    with api(ctx, as_json) as client:
        final = wait_with_bar(client.runs.get(handle, run_id), show=not as_json, timeout=timeout)
    _finish(final, as_json)


@runs_app.command("cancel")
def runs_cancel(ctx: typer.Context, handle: Handle, run_id: RunId, as_json: JsonOpt = False) -> None:
    """Cancel a run: a queued one ends at once, a running one at its next trial boundary."""
    with api(ctx, as_json) as client:
        run = client.runs.cancel(handle, run_id)
    show(as_json, run.raw, f"run {run.id} is {run.state}")


@runs_app.command("events")
def runs_events(ctx: typer.Context, handle: Handle, run_id: RunId) -> None:
    """Follow a run's events as JSON lines until it ends."""
    with api(ctx, True) as client:
        for event in client.runs.events(handle, run_id):
            typer.echo(json.dumps({"id": event.id, **event.data}, ensure_ascii=False, default=str))
