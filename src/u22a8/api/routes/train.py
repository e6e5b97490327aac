"""POST /v1/models/{handle}/train (the seed) and GET …/train/estimate."""

from __future__ import annotations

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from ... import engine
from ...runs import request_train
from ..auth import KeyDep, check_model_access, checked_handle
from ..deps import PlatformDep
from ..schemas import EstimateResponse, TrainBody, TrainResponse

router = APIRouter(prefix="/v1/models/{handle}/train", tags=["train"])


@router.post(
    "",
    response_model=TrainResponse,
    status_code=202,
    operation_id="train_model",
    responses={200: {"model": TrainResponse, "description": "Ready model, no re-optimization: nothing queued."}},
)
def train_model(
    handle: str, key: KeyDep, platform: PlatformDep, body: TrainBody | None = Body(default=None)
) -> JSONResponse:
    """From draft: first training pass (202, busy). Busy: the run in flight (202).
    Ready: no-op (200) unless ``reoptimize_params`` is true (202, busy)."""
    check_model_access(key, checked_handle(handle), "train")
    body = body or TrainBody()
    outcome = request_train(platform.store, handle, body.effort, body.reoptimize_params)
    if outcome.queued:
        platform.wake_executor()
    return JSONResponse(
        TrainResponse(state=outcome.state, run_id=outcome.run_id).model_dump(), status_code=outcome.status_code
    )


@router.get("/estimate", response_model=EstimateResponse, operation_id="estimate_training")
def estimate_training(handle: str, key: KeyDep, platform: PlatformDep) -> EstimateResponse:
    """What each effort would likely cost on this model's current samples."""
    check_model_access(key, checked_handle(handle), "read")
    model = platform.store.models.get(handle)
    summary = platform.store.samples.summary(model.id)
    efforts = engine.estimate(summary["n_samples"], summary["n_labels"], model.task, summary["mean_chars"])  # type: ignore[arg-type]
    return EstimateResponse(
        model=handle, n_samples=summary["n_samples"], n_labels=summary["n_labels"],
        efforts={k: {kk: float(vv) for kk, vv in v.items()} for k, v in efforts.items()},
    )
