"""The SDK's public names are a promise: this test changes only when the surface does, on purpose."""

from __future__ import annotations

import subprocess
import sys

import u22a8
import u22a8.client


def test_top_level_names_are_pinned() -> None:
    assert sorted(u22a8.__all__) == sorted([
        "__version__", "Client", "AsyncClient", "load_export",
        "U22A8Error", "InvalidRequest", "LimitExceeded", "TooFewSamples", "IdempotencyKeyReused", "Unauthorized",
        "Forbidden", "NotFound", "Conflict", "ModelNotReady", "PayloadTooLarge", "RateLimited", "ServerError",
        "InternalError", "Unavailable", "TransportError",
    ])
    for name in u22a8.__all__:
        assert getattr(u22a8, name) is not None
    assert u22a8.Client is u22a8.client.Client and u22a8.NotFound is u22a8.client.NotFound


def test_client_names_are_pinned() -> None:
    assert sorted(u22a8.client.__all__) == sorted([
        "Client", "AsyncClient", "Retry", "DEFAULT_BASE_URL", "load_export", "ExportedModel",
        "Model", "VersionSummary", "AutoRetrain", "Sample", "SampleCounts", "Run", "AsyncRun", "RunEvent",
        "TrainResult", "Version", "Report", "Prediction", "PredictResult", "Key", "CreatedKey", "Estimate",
        "Webhook", "CreatedWebhook", "WebhookDelivery", "LabelIssue", "PoolText", "PoolCounts", "Suggestion", "Suggestions",
        "U22A8Error", "InvalidRequest", "LimitExceeded", "TooFewSamples", "IdempotencyKeyReused", "Unauthorized",
        "Forbidden", "NotFound", "Conflict", "ModelNotReady", "PayloadTooLarge", "RateLimited", "ServerError",
        "InternalError", "Unavailable", "TransportError",
    ])
    for name in u22a8.client.__all__:
        obj = getattr(u22a8.client, name)
        # Public objects say where users should find them, not which private file holds them.
        assert getattr(obj, "__module__", "u22a8.client").startswith("u22a8.client")


def test_every_private_module_declares_all() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(u22a8.client.__path__):
        if info.name.startswith("_"):
            module = importlib.import_module(f"u22a8.client.{info.name}")
            assert isinstance(getattr(module, "__all__", None), list), info.name


def test_import_u22a8_is_light() -> None:
    code = ("import sys, u22a8; heavy = [m for m in ('httpx', 'fastapi', 'sklearn', 'numpy', 'typer') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    # The SDK itself needs httpx (which pulls in rich for its own CLI), but not the server stack.
    code = ("import sys, u22a8; u22a8.Client; heavy = [m for m in ('fastapi', 'sklearn', 'numpy', 'typer', 'sqlalchemy') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_exceptions_carry_status_code_detail_body() -> None:
    err = u22a8.NotFound("no model", status=404, code="not_found", body={"code": "not_found"})
    assert (err.status, err.code, err.detail, err.body) == (404, "not_found", "no model", {"code": "not_found"})
    assert isinstance(err, LookupError) and isinstance(err, u22a8.U22A8Error)
    assert issubclass(u22a8.InvalidRequest, ValueError)
    assert issubclass(u22a8.ModelNotReady, u22a8.Conflict)
    assert u22a8.U22A8Error.__doc__ and u22a8.client._exceptions.__doc__.count("├──") >= 10
