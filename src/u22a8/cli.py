"""The ``u22a8`` command line. Thin: each command builds what it needs and calls it.

Imports happen inside the commands: every CLI call pays only for what it uses.

Server-side commands (serve, worker, migrate, keys create, quickstart) live here; the commands
that talk to a running server through the SDK live in ``u22a8.client.cli``. Exit codes are
listed in ``u22a8.client.cli.ExitCode`` and docs/cli.md.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from .client.cli import CliState, register

app = typer.Typer(help="u22a8: labeled text in, well-tuned models out.", no_args_is_help=True)
keys_app = typer.Typer(
    help="API keys: create works on the database directly (no server needed); list and revoke use the API.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


@app.callback()
def _connection(
    ctx: typer.Context,
    base_url: Annotated[Optional[str], typer.Option(
        "--base-url", envvar="U22A8_BASE_URL", help="Server to talk to (default http://127.0.0.1:8000).")] = None,
    api_key: Annotated[Optional[str], typer.Option(
        "--api-key", envvar="U22A8_API_KEY", help="API key (Bearer).", show_default=False)] = None,
) -> None:
    """u22a8: labeled text in, well-tuned models out."""
    ctx.obj = CliState(base_url=base_url, api_key=api_key)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[Optional[int], typer.Option(
        help="API processes answering on the port (default: the number of cores).", min=1)] = None,
    no_executor: Annotated[bool, typer.Option("--no-executor", help="API only; runs execute in `u22a8 worker`.")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level (info adds its startup lines).")] = "warning",
) -> None:
    """Start the platform: API processes, the embedded run executor (once), database migrations."""
    import os

    import uvicorn

    from .quiet import quiet_libraries, say, startup_line
    from .server import Runner, create_app, keep_startup_objects_out_of_gc
    from .settings import get_settings

    quiet_libraries()
    settings = get_settings()
    n = workers or os.cpu_count() or 1
    where = f"http://{host}:{port} (data in {settings.home.resolve()}); Ctrl-C stops it"
    if n == 1:
        application = create_app(settings, with_executor=not no_executor)
        keep_startup_objects_out_of_gc()
        say(startup_line("serving", where))
        uvicorn.run(application, host=host, port=port, log_level=log_level, access_log=False)
        return
    # Several API processes share the port; this process supervises them and runs the executor
    # and the webhook sender once, so a run is never dispatched by two schedulers at once.
    # Per-key rate limits must be counted where every process sees them: the database, unless
    # a Redis broker or an explicit storage is configured (docs/deployment.md).
    if settings.rate_limit_storage is None and not (settings.broker_url or "").startswith(("redis://", "rediss://")):
        os.environ["U22A8_RATE_LIMIT_STORAGE"] = "database"
    runner = None if no_executor else Runner(settings)
    if runner is not None:
        runner.start()
    say(startup_line("serving", f"{where} ({n} processes)"))
    try:
        # A process starting on a busy machine takes a while to import the app: give it time
        # before the supervisor counts it dead and starts another.
        uvicorn.run("u22a8.server:api_only_app", factory=True, workers=n, host=host, port=port,
                    log_level=log_level, access_log=False, timeout_worker_healthcheck=120)
    finally:
        if runner is not None:
            runner.stop()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Runs this worker trains at once.")] = 1,
) -> None:
    """Take runs from the broker (U22A8_BROKER_URL) and train them."""
    from .quiet import quiet_libraries
    from .runs.celery_executor import run_worker
    from .settings import get_settings

    quiet_libraries()
    run_worker(get_settings(), concurrency=concurrency)


@app.command()
def prepare() -> None:
    """Make the models derived on this machine, once: static embeddings distilled from MiniLM, and
    MiniLM exported to ONNX Runtime (its fast path)."""
    from .quiet import quiet_libraries
    from .runs import prepare_encoders
    from .settings import get_settings

    quiet_libraries()
    settings = get_settings()
    where = prepare_encoders(settings)
    if where is None:
        typer.echo("another process is preparing the models; try again in a minute", err=True)
        raise typer.Exit(1)
    from .engine import onnx_missing

    onnx = onnx_missing()
    typer.echo(f"models ready in {where}" + (f" (MiniLM runs on torch: {onnx})" if onnx else ""))


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version."""
    from .settings import get_settings
    from .store import Store

    settings = get_settings()
    Store(settings.resolved_database_url, settings.resolved_artifacts).upgrade()
    typer.echo("database is up to date")


@keys_app.command("create")
def keys_create(
    owner: Annotated[str, typer.Option(help="Owner namespace, e.g. acme.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: read,write,train,admin.")] = "read,write,train",
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "",
    rate_limits: Annotated[str | None, typer.Option(
        help="This key's own request limits, e.g. 'predict=100/minute;writes=none' (default: the settings').")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a key and print its secret (shown once)."""
    import re

    from .settings import get_settings
    from .store import SCOPES, Store

    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    bad = [s for s in wanted if s not in SCOPES]
    if bad or not wanted:
        typer.echo(f"unknown scopes: {', '.join(bad) or '(none given)'}; choose from {', '.join(SCOPES)}", err=True)
        raise typer.Exit(2)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,38}", owner):
        typer.echo("owner must match [a-z0-9][a-z0-9-]{0,38}", err=True)
        raise typer.Exit(2)
    if rate_limits:
        from .errors import InvalidRequest
        from .service.limits import check_key_limits

        try:
            check_key_limits(rate_limits)
        except InvalidRequest as exc:
            typer.echo(exc.detail, err=True)
            raise typer.Exit(2) from exc
    settings = get_settings()
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    key, secret = store.keys.create(owner, wanted, name, rate_limits=rate_limits or None)
    if as_json:
        typer.echo(json.dumps({"id": key.id, "owner": key.owner, "scopes": sorted(key.scopes), "key": secret}))
    else:
        typer.echo(secret)


@app.command()
def quickstart(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    effort: Annotated[str, typer.Option(help="Effort of the demo's first training.")] = "low",
) -> None:
    """Serve the platform and set up a demo: a key, a trained model, and a curl to paste."""
    import threading

    import uvicorn

    from .quiet import quiet_libraries
    from .server import create_app
    from .quickstart import prepare_demo
    from .settings import get_settings

    quiet_libraries()
    settings = get_settings()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning"))
    threading.Thread(target=prepare_demo, args=(server, settings, f"http://{host}:{port}", effort), daemon=True).start()
    server.run()


register(app, keys_app)


def main(argv: Optional[list[str]] = None) -> None:
    app(args=argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
