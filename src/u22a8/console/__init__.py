"""The web console at ``/console``: server-rendered pages over the same rules as the API.

Mounted by ``u22a8.server`` with one line: ``app.include_router(console.router)``. Everything it needs
(templates, CSS, JS) ships inside this package; nothing is fetched from the internet.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import assets, key_pages, label_issue_pages, labeling_pages, model_pages, run_pages, sign_in_pages, webhook_pages

__all__ = ["router"]

router = APIRouter()
for _module in (assets, sign_in_pages, model_pages, labeling_pages, run_pages, key_pages, webhook_pages, label_issue_pages):
    router.include_router(_module.router)
