"""The SDK's value objects match the API's response schemas, field for field.

The SDK talks HTTP only and keeps its own types; this contract keeps them from drifting: every
response schema the API documents has an SDK type (or is a list envelope the SDK unwraps), the
type has a field for each property and no other, and a field may be None exactly when the API
may send null or leave the property out.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest

import u22a8.client as sdk
from u22a8.settings import Settings

from u22a8.server import create_app

# Response schema → the SDK type that reads it.
SDK_TYPES: dict[str, type] = {
    "ModelPublic": sdk.Model,
    "VersionSummary": sdk.VersionSummary,
    "AutoRetrainPublic": sdk.AutoRetrain,
    "RunPublic": sdk.Run,
    "SamplePublic": sdk.Sample,
    "SampleCountsPublic": sdk.SampleCounts,
    "VersionPublic": sdk.Version,
    "KeyPublic": sdk.Key,
    "KeyCreated": sdk.CreatedKey,
    "TrainResponse": sdk.TrainResult,
    "PredictResponse": sdk.PredictResult,
    "EstimateResponse": sdk.Estimate,
    "WebhookPublic": sdk.Webhook,
    "WebhookCreated": sdk.CreatedWebhook,
    "DeliveryPublic": sdk.WebhookDelivery,
    "LabelIssuePublic": sdk.LabelIssue,
    "PoolCountsPublic": sdk.PoolCounts,
    "PoolTextPublic": sdk.PoolText,
    "SuggestionPublic": sdk.Suggestion,
    "SuggestionListPublic": sdk.Suggestions,
}

# Pages of a listing: the SDK iterates their items and follows next_cursor, so it has no type.
ENVELOPES = {"ModelList": "ModelPublic", "SampleList": "SamplePublic", "RunList": "RunPublic",
             "DeliveryList": "DeliveryPublic", "PoolTextList": "PoolTextPublic"}
# Whole lists in one answer (a limit, no cursor): the SDK returns their items as a list.
ITEM_LISTS = {"LabelIssueList": "LabelIssuePublic"}

# Deliberate differences, each with its reason: schema → {API property: SDK field}.
RENAMED: dict[str, dict[str, str]] = {
    # The SDK fetches the run the id names and holds it (None when nothing was queued).
    "TrainResponse": {"run_id": "run"},
}

# What an SDK object keeps beside the data: the JSON it came from, the client that made it.
SDK_ONLY = {"raw", "_client"}

# Not checked here, because the API documents them as open objects: a version's report
# (sdk.Report), each prediction (sdk.Prediction), and the run events of the SSE stream
# (sdk.RunEvent), which are no JSON response.


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = create_app(Settings(home=tmp_path_factory.mktemp("home")), with_executor=False)
    return app.openapi()


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref.rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def response_schemas(doc: dict[str, Any]) -> set[str]:
    """Every component schema a successful response uses, directly or nested."""
    schemas = doc["components"]["schemas"]
    todo = [name for path in doc["paths"].values() for op in path.values()
            for status, response in op.get("responses", {}).items() if status.startswith("2")
            for name in _refs(response)]
    found: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(_refs(schemas[name]))
    return found


def _admits_none(annotation: Any) -> bool:
    if annotation is None or annotation is type(None) or annotation is Any:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_admits_none(arg) for arg in typing.get_args(annotation))
    return False


def _may_be_absent_or_null(name: str, schema: dict[str, Any]) -> bool:
    prop = schema["properties"][name]
    nullable = prop.get("type") == "null" or any(alt.get("type") == "null" for alt in prop.get("anyOf", []))
    return nullable or name not in schema.get("required", [])


def mismatches(schema_name: str, schema: dict[str, Any], sdk_type: type) -> list[str]:
    """What differs between one response schema and the SDK type that reads it."""
    hints = typing.get_type_hints(sdk_type)
    fields = {f.name: hints[f.name] for f in dataclasses.fields(sdk_type) if f.name not in SDK_ONLY}
    renamed = RENAMED.get(schema_name, {})
    expected = {renamed.get(name, name): name for name in schema["properties"]}
    problems = [f"{schema_name}.{api} has no SDK field {sdk_type.__name__}.{field}"
                for field, api in expected.items() if field not in fields]
    problems += [f"{sdk_type.__name__}.{field} is not in the API's {schema_name}"
                 for field in fields if field not in expected]
    for field, api in expected.items():
        if field in fields and _admits_none(fields[field]) != _may_be_absent_or_null(api, schema):
            api_side = "may be null or absent" if _may_be_absent_or_null(api, schema) else "is always set"
            problems.append(f"{schema_name}.{api} {api_side}, but {sdk_type.__name__}.{field} is {fields[field]}")
    return problems


def test_every_response_schema_has_an_sdk_type(openapi: dict[str, Any]) -> None:
    used = response_schemas(openapi)
    assert sorted(used - set(SDK_TYPES) - set(ENVELOPES) - set(ITEM_LISTS)) == []
    assert sorted((set(SDK_TYPES) | set(ENVELOPES) | set(ITEM_LISTS)) - used) == [], "a mapped schema is no longer answered"


@pytest.mark.parametrize("schema_name", sorted(SDK_TYPES))
def test_sdk_type_matches_its_response_schema(openapi: dict[str, Any], schema_name: str) -> None:
    schema = openapi["components"]["schemas"][schema_name]
    assert mismatches(schema_name, schema, SDK_TYPES[schema_name]) == []


@pytest.mark.parametrize("envelope", sorted(ENVELOPES))
def test_list_envelopes_are_items_and_a_cursor(openapi: dict[str, Any], envelope: str) -> None:
    schema = openapi["components"]["schemas"][envelope]
    assert set(schema["properties"]) == {"items", "next_cursor"}
    assert schema["properties"]["items"]["items"] == {"$ref": f"#/components/schemas/{ENVELOPES[envelope]}"}


@pytest.mark.parametrize("listing", sorted(ITEM_LISTS))
def test_item_lists_are_items_only(openapi: dict[str, Any], listing: str) -> None:
    schema = openapi["components"]["schemas"][listing]
    assert set(schema["properties"]) == {"items"}
    assert schema["properties"]["items"]["items"] == {"$ref": f"#/components/schemas/{ITEM_LISTS[listing]}"}


def test_the_contract_notices_drift(openapi: dict[str, Any]) -> None:
    run = copy.deepcopy(openapi["components"]["schemas"]["RunPublic"])
    run["properties"]["queue_position"] = {"type": "integer"}
    run["required"].append("queue_position")
    assert mismatches("RunPublic", run, sdk.Run) == ["RunPublic.queue_position has no SDK field Run.queue_position"]

    del run["properties"]["queue_position"]
    del run["properties"]["decision"]
    assert mismatches("RunPublic", run, sdk.Run) == ["Run.decision is not in the API's RunPublic"]

    run = copy.deepcopy(openapi["components"]["schemas"]["RunPublic"])
    run["properties"]["trials_done"] = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert len(mismatches("RunPublic", run, sdk.Run)) == 1
