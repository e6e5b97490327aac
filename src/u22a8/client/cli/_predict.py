"""``u22a8 predict``, ``u22a8 predict-offline``, ``u22a8 estimate`` and the API side of ``u22a8 keys``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .._export import load_export
from .._types import Prediction
from ._common import JsonOpt, api, emit_json, fail, show
from ._render import estimate_table, keys_table

__all__ = ["predict", "predict_offline", "estimate", "keys_list", "keys_revoke"]

Handle = Annotated[str, typer.Argument(help="owner.name, e.g. acme.support-tone")]


def _line(p: Prediction) -> str:
    if p.label is not None:
        return f"{p.label}\t{p.confidence:.4f}" if p.confidence is not None else p.label
    if p.labels is not None:
        return "|".join(p.labels) or "-"
    return f"{p.score:.6g}" if p.score is not None else "-"


def predict(
    ctx: typer.Context,
    handle: Handle,
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to predict; none: read stdin, one per line.")] = None,
    top_k: Annotated[Optional[int], typer.Option(min=1, help="Keep only the k best scores per input.")] = None,
    version: Annotated[Optional[int], typer.Option(min=1, help="Ask this version instead of the active one.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Inputs per request.")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Predict: one line per input, in input order, tab-separated.

    classify: label, confidence, text. multilabel: labels joined by |, text. score: score, text."""
    inputs = _inputs(texts)
    results = []
    with api(ctx, as_json) as client:
        for start in range(0, len(inputs), batch_size):
            results.append(client.predict(handle, inputs[start:start + batch_size], top_k=top_k, version=version))
    if as_json:
        predictions = [p.raw for r in results for p in r]
        emit_json({"model": handle, "version": results[-1].version, "predictions": predictions})
        return
    for text, prediction in zip(inputs, (p for r in results for p in r)):
        typer.echo(f"{_line(prediction)}\t{text}")


def predict_offline(
    file: Annotated[Path, typer.Argument(help="An exported version (u22a8 export).", exists=True, dir_okay=False)],
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to predict; none: read stdin, one per line.")] = None,
    top_k: Annotated[Optional[int], typer.Option(min=1, help="Keep only the k best scores per input.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict from an exported file, without a server; output as for predict.

    The file is checked and loaded as data (never run as code); an export written by an older
    u22a8 is refused with a message to download it again."""
    inputs = _inputs(texts)
    try:
        exported = load_export(file)
    except ValueError as exc:
        fail(f"{file}: {exc}")
    result = exported.predict(inputs, top_k=top_k)
    if as_json:
        emit_json({"model": exported.handle, "version": exported.version, "predictions": [p.raw for p in result]})
        return
    for text, prediction in zip(inputs, result):
        typer.echo(f"{_line(prediction)}\t{text}")


def _inputs(texts: list[str] | None) -> list[str]:
    inputs = list(texts or [])
    if not inputs:
        if sys.stdin.isatty():
            fail("give texts as arguments, or pipe them in, one per line")
        inputs = [line.rstrip("\r\n") for line in sys.stdin if line.strip()]
        if not inputs:
            fail("no texts on stdin")
    return inputs


def estimate(ctx: typer.Context, handle: Handle, as_json: JsonOpt = False) -> None:
    """What each effort would likely cost on the model's current samples."""
    with api(ctx, as_json) as client:
        found = client.estimate(handle)
    show(as_json, found.raw, estimate_table(found))


def keys_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List keys through the API (admin key; a u22a8 admin key sees every owner's)."""
    with api(ctx, as_json) as client:
        keys = client.keys.list()
    show(as_json, [k.raw for k in keys], keys_table(keys))


def keys_revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The key's id (see keys list).")],
                as_json: JsonOpt = False) -> None:
    """Revoke a key through the API (admin key); it stops working at once."""
    with api(ctx, as_json) as client:
        key = client.keys.revoke(key_id)
    show(as_json, key.raw, f"revoked {key.id} ({key.owner}, {key.prefix}…)", markup=False)
