"""The web console at ``/console``: server-rendered pages over the same rules as the API.

Mounted with one line in the app: ``app.include_router(console.router)``. Everything it needs
(templates, CSS, JS) ships inside this package; nothing is fetched from the internet.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import assets, auth_pages, key_pages, model_pages, run_pages

__all__ = ["router"]

router = APIRouter()
for _module in (assets, auth_pages, model_pages, run_pages, key_pages):
    router.include_router(_module.router)
