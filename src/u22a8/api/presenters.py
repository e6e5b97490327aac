"""Records → public response bodies.

What a body holds is the resource's declaration (u22a8.resources); each function here only
names the body and passes what the record cannot know by itself.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response

from ..resources import ApiKey, LabelIssue, Model, Run, Sample, Version
from ..service import ExportFile
from .response_models import present
from .schemas import KeyPublic, LabelIssuePublic, ModelPublic, RunPublic, SamplePublic, VersionPublic

__all__ = ["model_public", "run_public", "sample_public", "version_public", "key_public", "export_response",
           "label_issue_public"]


def run_public(run: Run) -> BaseModel:
    return present(RunPublic, run)


def model_public(model: Model) -> BaseModel:
    return present(ModelPublic, model)


def sample_public(sample: Sample) -> BaseModel:
    return present(SamplePublic, sample)


def version_public(version: Version, active_number: int | None) -> BaseModel:
    return present(VersionPublic, version, active=version.number == active_number)


def key_public(key: ApiKey) -> BaseModel:
    return present(KeyPublic, key)


def export_response(export: ExportFile) -> Response:
    """An exported version as a download, the same bytes and name whoever asks (API or console)."""
    return Response(export.data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{export.filename}"'})


def label_issue_public(issue: LabelIssue) -> BaseModel:
    return present(LabelIssuePublic, issue)
