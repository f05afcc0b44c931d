"""Public lookups have a bounded rate per client: a token bucket per client address for the
requests the public role makes about a subject (the portal's subject page and search, the
published records, filing an objection) and for list pages, so a masked number cannot be
completed by trying candidates. Requests with an ``X-API-Key`` are not counted here (keys
are accountable).

A refused request gets 429 with ``Retry-After``; the rate is the setting ``public_rate``
(lookups per minute per client, ``XINYONG_PUBLIC_RATE``; 0 turns the limit off).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

#: Paths (prefixes) of public lookups about a subject, and the method counted.
COUNTED: tuple[tuple[str, str], ...] = (
    ("GET", "/subject/"),
    ("GET", "/search"),
    ("GET", "/v1/publications/"),
    ("POST", "/v1/objections"),
    ("POST", "/objections"),
    ("GET", "/v1/lists/"),
    ("GET", "/lists/"),
    ("GET", "/org"),
)
_CLIENTS = 100_000  # buckets kept (least recently used dropped first)


class Buckets:
    """Token buckets by client: ``rate`` per minute, bursts up to ``rate``."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.clock = rate, clock
        self._tokens: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 if ``client`` may go on now, else the seconds until it may."""
        now = self.clock()
        per_second = self.rate / 60
        with self._lock:
            tokens, last = self._tokens.pop(client, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * per_second)
            if tokens >= 1:
                self._tokens[client] = (tokens - 1, now)
                wait = 0.0
            else:
                self._tokens[client] = (tokens, now)
                wait = (1 - tokens) / per_second
            while len(self._tokens) > _CLIENTS:
                self._tokens.popitem(last=False)
        return wait


def counted(method: str, path: str) -> bool:
    return any(method == m and path.startswith(p) for m, p in COUNTED)


class PublicThrottle:
    """ASGI middleware: :class:`Buckets` over the public lookups."""

    def __init__(self, app: Any, rate: int) -> None:
        self.app = app
        self.buckets = Buckets(rate) if rate > 0 else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            self.buckets is None
            or scope["type"] != "http"
            or not counted(scope.get("method", ""), scope["path"])
            or any(k.lower() == b"x-api-key" and v for k, v in scope.get("headers", []))
        ):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.buckets.take(client)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = str(max(1, math.ceil(wait)))
        body = json.dumps(
            {
                "error": "too_many_requests",
                "message": f"too many public lookups from this address; try again in {retry} s",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"retry-after", retry.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
