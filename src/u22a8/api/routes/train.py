"""POST /v1/models/{handle}/train (the seed) and GET …/train/estimate."""

from __future__ import annotations

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from ... import service
from ..deps import KeyDep, PlatformDep
from ..schemas import EstimateResponse, TrainBody, TrainResponse
from ..routing import V1Route

router = APIRouter(prefix="/v1/models/{handle}/train", tags=["train"], route_class=V1Route)


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
    body = body or TrainBody()
    outcome = service.train(platform, key, handle, body.effort, body.reoptimize_params)
    return JSONResponse(
        TrainResponse(state=outcome.state, run_id=outcome.run_id).model_dump(), status_code=outcome.status_code
    )


@router.get("/estimate", response_model=EstimateResponse, operation_id="estimate_training")
def estimate_training(handle: str, key: KeyDep, platform: PlatformDep) -> EstimateResponse:
    """What each effort would likely cost on this model's current samples."""
    found = service.estimate_training(platform, key, handle)
    return EstimateResponse(model=found.handle, n_samples=found.n_samples, n_labels=found.n_labels,
                            efforts=found.efforts)
