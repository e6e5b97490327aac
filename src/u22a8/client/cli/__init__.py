"""The CLI's API commands (models, samples, train, runs, versions, predict…), built on the SDK.

``u22a8.cli`` owns the root command and the server-side commands (serve, worker, migrate,
keys create); it calls :func:`register` to add these. Not imported by ``u22a8.client``, so
the SDK does not need Typer or Rich to import.
"""

from __future__ import annotations

import typer

from ._common import CliState, ExitCode
from ._label_issues import label_issues_app, models_fallback
from ._models import models_app, samples_app
from ._pool import label, pool_app, suggestions
from ._predict import estimate, keys_list, keys_revoke, predict, predict_offline
from ._training import runs_app, train
from ._versions import export, versions_app
from ._webhooks import webhooks_app

__all__ = ["register", "CliState", "ExitCode"]


def register(app: typer.Typer, keys_app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
    app.add_typer(samples_app, name="samples")
    app.command("train")(train)
    app.add_typer(runs_app, name="runs")
    app.add_typer(versions_app, name="versions")
    app.command("predict")(predict)
    app.command("predict-offline")(predict_offline)
    app.command("export")(export)
    app.command("estimate")(estimate)
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(label_issues_app, name="label-issues")
    models_app.command("fallback")(models_fallback)
    app.add_typer(pool_app, name="pool")
    app.command("suggestions")(suggestions)
    app.command("label")(label)
    keys_app.command("list")(keys_list)
    keys_app.command("revoke")(keys_revoke)
