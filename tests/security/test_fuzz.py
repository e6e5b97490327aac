"""Schemathesis over the live server's own /openapi.json: no 500s, and every answer is documented.

A real ``u22a8 serve`` process, a key that owns a ready model, and path parameters pointing at
that model, its finished run and its version, so generated requests reach the code behind the
404s. Writes that would change what later requests mean go to a scratch model instead (update,
delete, samples, train), and the scratch model is made again whenever a request deletes it.
Generation is derandomized with a fixed seed, so CI repeats the same requests.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import Trained

SCRATCH = "acme.scratch"
MIN_REQUESTS = 1000
SEED = 20_261_201
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
# The passes over every operation: generation mode, whether path parameters point at the fixture
# (else they are generated too, to reach the path checks), and examples per operation. A small
# input space may yield fewer examples than asked; the total is asserted.
PASSES = [(GenerationMode.POSITIVE, True, 50), (GenerationMode.NEGATIVE, True, 40),
          (GenerationMode.POSITIVE, False, 15)]
# Operations that change a model point at the scratch model, so the ready one stays ready.
SCRATCH_OPERATIONS = {"update_model", "delete_model", "add_samples", "delete_sample", "train_model"}


def _path_parameters(trained: Trained, operation_id: str, fixed: bool) -> dict[str, Any]:
    if not fixed:
        # Generated paths, except that a delete never gets the chance to name the ready model.
        return {"handle": SCRATCH} if operation_id == "delete_model" else {}
    handle = SCRATCH if operation_id in SCRATCH_OPERATIONS else trained.handle
    return {"handle": handle, "run_id": trained.run_id, "number": trained.version, "sample_id": trained.sample_id}


# Operations that take a webhook URL resolve its host name when called: generated names would
# become DNS queries, and this machine has no network. tests/webhooks/ covers them.
_NOT_FUZZED = {"create_webhook", "update_webhook"}


def _operations(schema: Any) -> list[Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if op.definition.raw.get("operationId") not in _NOT_FUZZED]


@pytest.mark.timeout(900)  # training the fixture model and the requests, on a busy CI machine
def test_fuzz_the_live_api(trained: Trained) -> None:
    trained.new_model(SCRATCH)
    schema = schemathesis.openapi.from_url(f"{trained.server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {trained.key}"}
    session = requests.Session()
    sent = 0
    per_operation: dict[str, int] = {}
    failures: list[str] = []

    def run(operation: Any, mode: GenerationMode, fixed: bool, examples: int) -> None:
        nonlocal sent
        operation_id = operation.definition.raw.get("operationId", operation.label)
        strategy = operation.as_strategy(mode, path_parameters=_path_parameters(trained, operation_id, fixed))

        @seed(SEED)
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=strategy)
        def one(case: Any) -> None:
            nonlocal sent
            sent += 1
            per_operation[operation.label] = per_operation.get(operation.label, 0) + 1
            try:
                response = case.call(base_url=trained.server.url, session=session, headers=headers, timeout=60)
                case.validate_response(response, checks=CHECKS, headers=headers,
                                       transport_kwargs={"base_url": trained.server.url, "headers": headers})
            except (Exception, BaseExceptionGroup) as exc:  # every failure is kept, none stops the run
                if len(failures) < 20:
                    failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
                else:
                    failures.append(operation.label)
            if operation_id == "delete_model":
                trained.new_model(SCRATCH)

        try:
            one()
        except Unsatisfiable:
            # Nothing in the operation can be made invalid (no parameters, no body): no negative case.
            assert mode is GenerationMode.NEGATIVE, operation.label

    for operation in _operations(schema):
        for mode, fixed, examples in PASSES:
            run(operation, mode, fixed, examples)

    print(f"schemathesis: {sent} requests over {len(per_operation)} operations, {len(failures)} failures")
    # The fixture model is still ready: the requests above meant what they said to the end.
    assert trained.http.get(f"/v1/models/{trained.handle}").json()["state"] == "ready"
    assert not failures, f"{len(failures)} failures in {sent} requests:\n\n" + "\n\n".join(failures[:20])
    assert sent >= MIN_REQUESTS, f"only {sent} requests were generated: {per_operation}"
    # Every operation was reached, so none slipped out of the fuzzing.
    assert len(per_operation) == len(_operations(schema))
