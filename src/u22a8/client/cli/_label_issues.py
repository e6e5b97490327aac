"""``u22a8 label-issues …`` (likely label errors) and ``u22a8 models fallback`` (out-of-scope answer)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ._common import JsonOpt, api, fail, show

__all__ = ["label_issues_app", "models_fallback"]

label_issues_app = typer.Typer(help="Samples whose label the active version finds unlikely: list, relabel, dismiss.",
                               no_args_is_help=True)

Handle = Annotated[str, typer.Argument(help="owner.name, e.g. acme.support-tone")]
SampleId = Annotated[str, typer.Argument(help="The sample's id.")]


@label_issues_app.command("list")
def label_issues_list(ctx: typer.Context, handle: Handle,
                      limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 20,
                      as_json: JsonOpt = False) -> None:
    """The most suspect samples first, with the label the model suggests."""
    with api(ctx, as_json) as client:
        issues = client.label_issues(handle, limit=limit)
    table = Table("rank", "id", "label", "suggested", "self-conf.", "flagged", "text")
    for i in issues:
        text = i.text if len(i.text) <= 60 else i.text[:59] + "…"
        table.add_row(str(i.rank), i.sample_id, i.label, i.suggested_label, f"{i.self_confidence:.3f}",
                      "yes" if i.flagged else "", text)
    show(as_json, [i.raw for i in issues], table if issues else f"{handle}: no likely label errors listed")


@label_issues_app.command("relabel")
def label_issues_relabel(
    ctx: typer.Context, handle: Handle, sample_id: SampleId,
    label: Annotated[Optional[str], typer.Argument(help="The new label (default: the suggested one).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a listed sample a new label: an ordinary sample update, so the guarded retrain follows."""
    with api(ctx, as_json) as client:
        found = next((i for i in client.label_issues(handle, limit=500) if i.sample_id == sample_id), None)
        if found is None:
            fail(f"sample {sample_id!r} is not on {handle}'s label-issues list; relabel it with `u22a8 samples add`")
        new = label or found.suggested_label
        client.samples.add(handle, [{"id": found.sample_id, "text": found.text, "label": new}])
    show(as_json, {"sample_id": sample_id, "label": new}, f"{sample_id}: {found.label} → {new}")


@label_issues_app.command("dismiss")
def label_issues_dismiss(ctx: typer.Context, handle: Handle, sample_id: SampleId, as_json: JsonOpt = False) -> None:
    """The label is right: keep the sample off the list until its label changes."""
    with api(ctx, as_json) as client:
        client.dismiss_label_issue(handle, sample_id)
    show(as_json, {"dismissed": sample_id}, f"dismissed {sample_id}")


def models_fallback(
    ctx: typer.Context, handle: Handle,
    label: Annotated[Optional[str], typer.Option("--label", help="The fallback label, e.g. out_of_scope.")] = None,
    min_precision: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="The least fallback precision "
                                                           "the chosen threshold must keep.")] = None,
    off: Annotated[bool, typer.Option("--off", help="No fallback.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set a classify model's out-of-scope fallback (it takes effect with the next version)."""
    if off and (label or min_precision is not None):
        fail("--off takes no --label or --min-precision")
    if not off and label is None and min_precision is None:
        fail("give --label, --min-precision or --off")
    changes: dict[str, object] = {"fallback_label": None, "fallback_min_precision": None} if off else {}
    if label is not None:
        changes["fallback_label"] = label
    if min_precision is not None:
        changes["fallback_min_precision"] = min_precision
    with api(ctx, as_json) as client:
        model = client.models.update(handle, **changes)  # type: ignore[arg-type]
    said = (f"{handle}: fallback {model.fallback_label!r}" + (f", min precision {model.fallback_min_precision:g}"
            if model.fallback_min_precision is not None else "")) if model.fallback_label else f"{handle}: no fallback"
    show(as_json, model.raw, said + " (takes effect with the next version)")
