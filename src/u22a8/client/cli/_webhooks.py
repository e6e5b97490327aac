"""``u22a8 webhooks``: endpoints that receive this owner's events, their deliveries, retries, pings."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Annotated, Optional

import typer
from rich.table import Table

from .._webhook_types import Webhook, WebhookDelivery
from ._common import JsonOpt, api, show

__all__ = ["webhooks_app"]

webhooks_app = typer.Typer(help="Webhook endpoints (admin key): create, list, update, rotate, deliveries, ping.",
                           no_args_is_help=True)

WebhookId = Annotated[str, typer.Argument(help="The endpoint's id (see webhooks list).")]


def _table(endpoints: Iterable[Webhook]) -> Table:
    table = Table("id", "url", "events", "enabled", "failing since")
    for e in endpoints:
        table.add_row(e.id, e.url, ",".join(e.events), "yes" if e.enabled else f"no: {e.disabled_reason or ''}",
                      e.failing_since.isoformat(timespec="seconds") if e.failing_since else "")
    return table


def _deliveries_table(deliveries: Iterable[WebhookDelivery]) -> Table:
    table = Table("id", "event", "state", "attempt", "status", "ms", "next attempt", "error")
    for d in deliveries:
        table.add_row(str(d.id), d.event, d.state, str(d.attempt), str(d.status_code or ""),
                      f"{d.duration_ms:.0f}" if d.duration_ms is not None else "",
                      d.next_attempt_at.isoformat(timespec="seconds") if d.next_attempt_at else "", d.error or "")
    return table


@webhooks_app.command("create")
def create(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="https URL on a public address.")],
    event: Annotated[Optional[list[str]], typer.Option("--event", "-e", help="An event type to send (repeat); default every type.")] = None,
    model: Annotated[Optional[list[str]], typer.Option("--model", "-m", help="Only this model's events (repeat).")] = None,
    description: Annotated[str, typer.Option(help="What the endpoint is for.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create an endpoint; prints its signing secret, which is shown this once."""
    with api(ctx, as_json) as client:
        created = client.webhooks.create(url, event or ["*"], models=model, description=description)
    show(as_json, created.raw, f"created {created.id}\nsecret (shown once, store it now): {created.secret}", markup=False)


@webhooks_app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """This owner's endpoints."""
    with api(ctx, as_json) as client:
        found = client.webhooks.list()
    show(as_json, [e.raw for e in found], _table(found))


@webhooks_app.command("get")
def get(ctx: typer.Context, webhook_id: WebhookId, as_json: JsonOpt = False) -> None:
    with api(ctx, as_json) as client:
        found = client.webhooks.get(webhook_id)
    show(as_json, found.raw, _table([found]))


@webhooks_app.command("update")
def update(
    ctx: typer.Context,
    webhook_id: WebhookId,
    url: Annotated[Optional[str], typer.Option(help="A new URL.")] = None,
    event: Annotated[Optional[list[str]], typer.Option("--event", "-e", help="Replace the event types (repeat).")] = None,
    enable: Annotated[Optional[bool], typer.Option("--enable/--disable", help="Turn the endpoint on or off.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change the URL, the event types, or whether the endpoint is enabled."""
    changes: dict[str, object] = {}
    if url is not None:
        changes["url"] = url
    if event:
        changes["events"] = event
    if enable is not None:
        changes["enabled"] = enable
    with api(ctx, as_json) as client:
        found = client.webhooks.update(webhook_id, **changes)  # type: ignore[arg-type]
    show(as_json, found.raw, _table([found]))


@webhooks_app.command("delete")
def delete(ctx: typer.Context, webhook_id: WebhookId, as_json: JsonOpt = False) -> None:
    """Delete an endpoint and its delivery log."""
    with api(ctx, as_json) as client:
        gone = client.webhooks.delete(webhook_id)
    show(as_json, gone.raw, f"deleted {gone.id}", markup=False)


@webhooks_app.command("rotate")
def rotate(ctx: typer.Context, webhook_id: WebhookId, as_json: JsonOpt = False) -> None:
    """A new signing secret (shown once); the old one keeps signing beside it during the overlap."""
    with api(ctx, as_json) as client:
        rotated = client.webhooks.rotate(webhook_id)
    show(as_json, rotated.raw, f"new secret (shown once, store it now): {rotated.secret}\n"
                               f"the old secret signs too until {rotated.previous_secret_expires_at}", markup=False)


@webhooks_app.command("deliveries")
def deliveries(
    ctx: typer.Context, webhook_id: WebhookId,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The endpoint's messages, newest first: event, attempts, last status, duration, error, next attempt."""
    with api(ctx, as_json) as client:
        found = list(islice(client.webhooks.deliveries(webhook_id, page_size=min(limit, 500)), limit))
    show(as_json, [d.raw for d in found], _deliveries_table(found))


@webhooks_app.command("retry")
def retry(ctx: typer.Context, webhook_id: WebhookId,
          delivery_id: Annotated[int, typer.Argument(help="The delivery's id (see webhooks deliveries).")],
          as_json: JsonOpt = False) -> None:
    """Send a message again now, with the same webhook-id."""
    with api(ctx, as_json) as client:
        d = client.webhooks.retry(webhook_id, delivery_id)
    show(as_json, d.raw, f"delivery {d.id} ({d.event}) is due again", markup=False)


@webhooks_app.command("ping")
def ping(ctx: typer.Context, webhook_id: WebhookId, as_json: JsonOpt = False) -> None:
    """Queue a signed ping to the endpoint; see how it went with `webhooks deliveries`."""
    with api(ctx, as_json) as client:
        d = client.webhooks.ping(webhook_id)
    show(as_json, d.raw, f"ping queued as delivery {d.id} ({d.message_id})", markup=False)
