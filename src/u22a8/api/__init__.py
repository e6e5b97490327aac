"""The HTTP API v1."""

from .app import build_platform, create_app

__all__ = ["create_app", "build_platform"]
