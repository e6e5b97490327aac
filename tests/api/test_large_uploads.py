"""Uploads of 20,000 samples (what the scale benchmark sends per request) keep every rule of a
small one: a bad row anywhere refuses the whole body with a problem+json, duplicates are merged
within a body and across bodies, and the answer counts what the model holds."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import make_key

H = "acme.big"
N = 20_000
NDJSON = "application/x-ndjson"


def _rows(start: int, n: int) -> list[dict[str, Any]]:
    return [{"text": f"customer message number {i}", "label": ("billing", "delivery", "refund")[i % 3]}
            for i in range(start, start + n)]


def _ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, ["text", "label"])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


@pytest.fixture
def big(app_client: TestClient) -> tuple[TestClient, dict[str, str]]:
    auth = make_key(app_client)
    assert app_client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth).status_code == 201
    return app_client, auth


def _post(client: TestClient, auth: dict[str, str], body: bytes, ctype: str) -> Any:
    return client.post(f"/v1/models/{H}/samples", content=body, headers={**auth, "Content-Type": ctype})


def _count(client: TestClient, auth: dict[str, str]) -> int:
    return int(client.get(f"/v1/models/{H}", headers=auth).json()["sample_count"])


BAD_LAST_ROWS = [
    ("ndjson, blank text", lambda rows: _ndjson(rows + [{"text": "  ", "label": "billing"}]), NDJSON, "text is empty"),
    ("ndjson, NUL in a label", lambda rows: _ndjson(rows + [{"text": "ok", "label": "bil\u0000ling"}]), NDJSON,
     "bad label"),
    ("ndjson, lone surrogate", lambda rows: _ndjson(rows) + b'\n{"text": "a\\ud800", "label": "billing"}', NDJSON,
     "lone surrogate"),
    ("ndjson, score past a float", lambda rows: _ndjson(rows) + b'\n{"text": "x", "label": "refund", "score": '
     + b"9" * 400 + b"}", NDJSON, "score"),
    ("csv, a missing label", lambda rows: _csv(rows) + b"fine text,\n", "text/csv", "needs exactly a 'label'"),
    ("csv, an extra field", lambda rows: _csv(rows) + b"fine text,billing,extra\n", "text/csv", "more fields"),
]


@pytest.mark.parametrize(("name", "make", "ctype", "said"), BAD_LAST_ROWS, ids=[b[0] for b in BAD_LAST_ROWS])
def test_one_bad_row_at_the_end_of_a_large_body_stores_nothing(big: tuple[TestClient, dict[str, str]], name: str,
                                                               make: Any, ctype: str, said: str) -> None:
    client, auth = big
    assert _post(client, auth, _ndjson(_rows(0, 10)), NDJSON).json()["sample_count"] == 10
    r = _post(client, auth, make(_rows(10, N - 1)), ctype)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "invalid_request"
    assert [e["index"] for e in problem["errors"]] == [N - 1]
    assert said in problem["errors"][0]["error"]
    assert _count(client, auth) == 10


@pytest.mark.parametrize("ctype", [NDJSON, "text/csv"])
def test_duplicates_within_and_across_large_bodies_are_merged(big: tuple[TestClient, dict[str, str]],
                                                               ctype: str) -> None:
    client, auth = big
    encode = _ndjson if ctype == NDJSON else _csv
    first = _rows(0, N)
    first[-1] = {"text": first[0]["text"], "label": "refund"}  # the same text again: one sample, the last wins
    r = _post(client, auth, encode(first), ctype)
    assert r.status_code == 200, r.text
    assert r.json() == {"added": N - 1, "updated": 0, "unchanged": 0, "sample_count": N - 1}

    # Texts N/2 .. N-2 again (the first of them relabeled), then new ones: matched by text against what is stored.
    second = _rows(N // 2, N)
    second[0] = {"text": second[0]["text"], "label": "delivery" if second[0]["label"] != "delivery" else "refund"}
    r = _post(client, auth, encode(second), ctype)
    again = N // 2 - 1
    assert r.json() == {"added": N - again, "updated": 1, "unchanged": again - 1, "sample_count": N - 1 + N - again}
    assert _count(client, auth) == N - 1 + N - again

    stored = {}
    cursor = None
    while True:
        page = client.get(f"/v1/models/{H}/samples", params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
                          headers=auth).json()
        stored.update((s["text"], s["label"]) for s in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert stored[first[0]["text"]] == "refund"
    assert stored[second[0]["text"]] == second[0]["label"]
    assert len(stored) == N - 1 + N - again
