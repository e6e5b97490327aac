"""What every API command of the CLI shares: the client, exit codes, and how output is written.

Data goes to stdout (a table, or JSON with ``--json``); progress and errors go to stderr, so
``u22a8 … --json | jq`` always gets clean JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from .._client import Client
from .._exceptions import (
    Forbidden,
    InvalidRequest,
    NotFound,
    TransportError,
    U22A8Error,
    Unauthorized,
)

__all__ = ["ExitCode", "CliState", "JsonOpt", "api", "emit_json", "show", "out", "err", "fail"]


class ExitCode(IntEnum):
    """The CLI's exit statuses (documented in docs/cli.md)."""

    OK = 0
    API_ERROR = 1  # the API refused: invalid request, conflict, model not ready, server error…
    USAGE = 2  # bad arguments or an unreadable input file (also click's own usage errors)
    NOT_FOUND = 3  # no such model, run, version, sample or key (for this key)
    AUTH = 4  # missing, unknown or revoked key, or a scope the key lacks
    RUN_FAILED = 5  # a waited-for run ended failed or canceled
    UNREACHABLE = 6  # no answer from the server (after retries)
    INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True)
class CliState:
    base_url: str | None = None
    api_key: str | None = None


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (what the API answered) instead of tables.")]


def out() -> Console:
    # Made on demand: the test runner swaps sys.stdout between invocations.
    return Console(highlight=False, soft_wrap=False)


def err() -> Console:
    # soft_wrap: an error is never broken into lines by us (a path or key in it stays one word to
    # copy); the terminal wraps what is too long.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def show(as_json: bool, data: Any, human: Any, **print_options: Any) -> None:
    """A command's result: ``data`` as JSON with ``--json``, else ``human`` (a table or a sentence)."""
    if as_json:
        emit_json(data)
    else:
        out().print(human, **print_options)


def _exit_code(exc: U22A8Error) -> ExitCode:
    if isinstance(exc, NotFound):
        return ExitCode.NOT_FOUND
    if isinstance(exc, (Unauthorized, Forbidden)):
        return ExitCode.AUTH
    if isinstance(exc, TransportError):
        return ExitCode.UNREACHABLE
    return ExitCode.API_ERROR


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    err().print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(int(code))


def _report(exc: U22A8Error, state: CliState, as_json: bool) -> NoReturn:
    console = err()
    if as_json:
        body = exc.body or {"code": exc.code, "detail": exc.detail, "status": exc.status}
        typer.echo(json.dumps(body, ensure_ascii=False), err=True)
        raise typer.Exit(int(_exit_code(exc)))
    console.print(f"[red]error:[/red] {exc.detail} [dim]({exc.code})[/dim]", markup=True, highlight=False)
    if isinstance(exc, InvalidRequest):
        for item in exc.errors[:10]:
            where = item.get("index", ".".join(str(p) for p in item.get("loc", [])))
            console.print(f"  #{where}: {item.get('error') or item.get('msg')}", markup=False)
        missing = exc.body.get("missing")
        if isinstance(missing, list):
            for item in missing:
                console.print(f"  missing: {item}", markup=False)
    if isinstance(exc, Unauthorized) and not state.api_key:
        console.print("hint: pass --api-key or set U22A8_API_KEY (make one with `u22a8 keys create --owner NAME`)",
                      markup=False)
    if isinstance(exc, TransportError):
        console.print(f"hint: is a server running at {state.base_url}? (`u22a8 serve`)",
                      markup=False)
    raise typer.Exit(int(_exit_code(exc)))


@contextmanager
def api(ctx: typer.Context, as_json: bool = False) -> Iterator[Client]:
    """A client from the global options; API errors become a message and an exit code."""
    state = ctx.find_object(CliState) or CliState()
    client = Client(state.base_url, state.api_key)
    try:
        yield client
    except U22A8Error as exc:
        _report(exc, CliState(client.base_url, client._config.api_key), as_json)
    except KeyboardInterrupt:
        err().print("interrupted", markup=False)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    finally:
        client.close()
