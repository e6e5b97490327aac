"""POST /v1/models/{handle}/predict."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from ... import service
from ..deps import KeyDep, PlatformDep
from ..schemas import PredictBody, PredictResponse
from ..routing import V1Route

router = APIRouter(prefix="/v1/models/{handle}", tags=["predict"], route_class=V1Route)


@router.post("/predict", operation_id="predict", response_model=PredictResponse)
async def predict(handle: str, body: PredictBody, key: KeyDep, platform: PlatformDep) -> Response:
    """Predictions in input order, from the active version (or ``version``, to compare)."""
    args = (platform, key, handle, body.inputs)
    # A short prediction from memory runs right here: the hop to a worker thread and back would
    # cost more than the work. A database read, a first load or a large batch goes to a thread,
    # so the event loop keeps answering other requests meanwhile.
    if service.predict_is_quick(platform, handle, len(body.inputs), body.version, key):
        found = service.predict(*args, top_k=body.top_k, version=body.version)
    else:
        found = await run_in_threadpool(service.predict, *args, top_k=body.top_k, version=body.version)
    return Response(answer_body(handle, found), media_type="application/json")


def answer_body(handle: str, found: service.Prediction) -> bytes:
    """The predict answer, ``{"model", "version", "predictions"}`` (``PredictResponse``): the
    predictions arrive encoded (a 77-label model returns 7,700 scores per 100 texts) and are
    sent as they are, past FastAPI's encoder; the route and the fast lane answer alike."""
    return b"".join((b'{"model":', orjson.dumps(handle), b',"version":', str(int(found.version)).encode(),
                     b',"predictions":', found.predictions_json, b"}"))
