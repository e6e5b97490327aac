"""u22a8: labeled text in, small fast well-tuned models out, behind an HTTP API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
