"""The package version, declared once (pyproject reads it; the server and the SDK report it)."""

__version__ = "0.1.0"
