"""The HTTP service (``xinyong serve``): JSON API under ``/v1`` and the public portal."""

from __future__ import annotations

from xinyong.drivers.http.app import create_app

__all__ = ["create_app"]
